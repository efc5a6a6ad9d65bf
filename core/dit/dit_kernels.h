// Kernel seams of the DiT (DESIGN.md §3): how one attention, one of the large GEMMs, a block's
// elementwise chains and the block stack of a forward are computed. Every empty member is the
// core's own way; strategies fill them (attention backends, FP8 GEMMs, fused kernels, step reuse)
// without the core knowing any of them.
#pragma once
#include <torch/torch.h>

#include <array>
#include <functional>
#include <optional>

#include "core/linear.h"

namespace ablate::dit {

// Which of the DiT's large GEMMs a linear call is.
enum class GemmSite { kSelfQ, kSelfK, kSelfV, kSelfO, kCrossQ, kCrossK, kCrossV, kCrossO, kFfnIn, kFfnOut };

struct DitKernels {
  // softmax(q k^T * scale) v, q: [B, H, Lq, d], k/v: [B, H, Lk, d] -> [B, H, Lq, d] (q's dtype);
  // `cross`: the text cross-attention (else the causal self-attention). Empty: compat::attention_bhld.
  std::function<torch::Tensor(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              double scale, bool cross)>
      attention;
  // x: [..., in] -> [..., out] in `compute` for the layer at `site` of some block. Empty:
  // linear_as(x, layer, compute).
  std::function<torch::Tensor(const torch::Tensor& x, const LinearImpl& layer, torch::Dtype compute, GemmSite site)>
      linear;
  // Block-stack reuse, asked with block 0's output [B, L, dim] float32 before blocks 1..n-1 run:
  // a tensor is the stack's output to use instead of running them (their KV caches are then left
  // as they are); nullopt runs them. Empty: always run them.
  std::function<std::optional<torch::Tensor>(const torch::Tensor& first_block_out)> reuse_blocks;
  // Told after blocks 1..n-1 ran: block 0's output and the last block's output.
  std::function<void(const torch::Tensor& first_block_out, const torch::Tensor& last_block_out)> blocks_ran;

  // Elementwise chains of a block (attention_block.cpp holds the core's ops, the definition of each).
  // An undefined result runs the core's ops. m_i below is modulation[:, i] + e0[:, :, i] in float32.
  // normed: [B, L, dim] -> normed * (1 + m_{shift+1}) + m_shift in `out` (the core's is float32 and
  // the next linear casts it): [B, L, dim]. modulation: [1, 6, dim]; e0: [B, L, 6, dim] float32.
  std::function<torch::Tensor(const torch::Tensor& normed, const torch::Tensor& modulation, const torch::Tensor& e0,
                              int64_t shift_index, torch::Dtype out)>
      modulate;
  // x, y: [B, L, dim] -> x + y * m_gate: [B, L, dim] float32
  std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& modulation,
                              const torch::Tensor& e0, int64_t gate_index)>
      gated_residual;
  // x: [B, L, dim] float32, scale/shift: [B, L, dim] -> (1 + scale) * x + shift: [B, L, dim] float32
  std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& shift)>
      cam_modulate;
  // x: [B, L, dim] -> WanRmsNorm (norms.h): (x * rsqrt(mean(x^2) + eps)) in x's dtype, times weight
  std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& weight, double eps)> rms_norm;
  // x: [B, L, heads, head_dim] -> causal_rope_apply(x, grid, freqs, start_frame) (rope.h), x's dtype
  std::function<torch::Tensor(const torch::Tensor& x, const std::array<int64_t, 3>& grid, const torch::Tensor& freqs,
                              int64_t start_frame)>
      rope;
};

}  // namespace ablate::dit
