// The version of the core's numerics: bumped by every intended change to what generate() computes
// (an op's kernel, its order, a precision), so that the determinism fingerprint of a run after
// such a change differs from a baseline locked before it and `ablate check` answers "rebaseline
// required" (exit 3) instead of a FAIL.
//   1: up to commit 0a07385.
//   2: the VAE's attention through scaled_dot_product_attention on LibTorch 2.x (the reference's
//      F.scaled_dot_product_attention; LibTorch 1.13 keeps the math form, so CPU MD5s are
//      unchanged); cuDNN's deterministic algorithms off, as the reference leaves them.
#pragma once

namespace ablate {

constexpr int kNumericsVersion = 2;

}  // namespace ablate
