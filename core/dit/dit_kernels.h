// Kernel seams of the DiT (DESIGN.md §3): how one attention, one of the large GEMMs and the block
// stack of a forward are computed. Every empty member is the core's own way; strategies fill
// them (attention backends, FP8 GEMMs, step reuse) without the core knowing any of them.
#pragma once
#include <torch/torch.h>

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
};

}  // namespace ablate::dit
