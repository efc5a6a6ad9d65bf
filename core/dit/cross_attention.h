// Cross-attention to the text context (WanCrossAttention): K/V of the 512 context tokens are
// computed on the first forward of a generate() and cached; no key mask (padding is attended).
#pragma once
#include <torch/torch.h>

#include "core/dit/block_context.h"
#include "core/dit/kv_cache.h"
#include "core/linear.h"
#include "core/dit/norms.h"

namespace ablate::dit {

struct CrossAttentionOptions {
  CrossAttentionOptions(int64_t dim, int64_t num_heads) : dim_(dim), num_heads_(num_heads) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, num_heads);
  TORCH_ARG(double, eps) = 1e-6;
  /// Device and dtype the Linear weights are created with. Default: CPU float32
  TORCH_ARG(torch::TensorOptions, tensor_options) = torch::TensorOptions();
};

class CrossAttentionImpl : public torch::nn::Module {
 public:
  explicit CrossAttentionImpl(const CrossAttentionOptions& options);
  // x: [B, L, dim], ctx.context: [B, text_len, dim] -> [B, L, dim] compute dtype
  torch::Tensor forward(const torch::Tensor& x, const BlockContext& ctx, CrossKvCache& cache);

  CrossAttentionOptions options;
  Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
  WanRmsNorm norm_q{nullptr}, norm_k{nullptr};
};
TORCH_MODULE(CrossAttention);

}  // namespace ablate::dit
