// Kernel seams of the VAE (DESIGN.md §3): how a channel RMS norm (with the SiLU that follows it)
// and a causal conv's padded convolution are computed. Every empty member is the core's own way;
// strategies fill them (fused kernels, padding inside the conv) without the core knowing them.
#pragma once
#include <torch/torch.h>

#include <array>
#include <functional>

namespace ablate::vae {

struct VaeKernels {
  // x: [B, C, T, H, W] or [N, C, H, W] -> x / max(||x||_2 over C, 1e-12) * scale * gamma (+ bias),
  // then SiLU when `silu`; x's shape and dtype. gamma/bias: [C, 1, 1(, 1)] (bias may be undefined).
  // An undefined result runs the core's ops (rms_norm.cpp holds them, the definition).
  std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& gamma, const torch::Tensor& bias,
                              double scale, bool silu)>
      norm_silu;
  // input: [B, Cin, T, H, W] with its cached frames already in front; pad: (t_front, h, w) zeros
  // still to add (t in front only, h and w on both sides) -> conv3d(padded input, weight, bias,
  // stride): [B, Cout, T', H', W']. Undefined: the core pads with F.pad and convolves, as the
  // reference does.
  std::function<torch::Tensor(const torch::Tensor& input, const torch::Tensor& weight, const torch::Tensor& bias,
                              const std::array<int64_t, 3>& stride, const std::array<int64_t, 3>& pad)>
      causal_conv;
};

}  // namespace ablate::vae
