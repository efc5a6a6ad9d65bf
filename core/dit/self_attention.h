// Causal self-attention with a KV cache (CausalWanSelfAttention): q/k RMSNorm over the full width,
// absolute-time 3D RoPE, the chunk's K/V written into its cache slot, attention of the chunk's
// queries over every cached token up to the chunk end (block-causal, no mask inside the chunk).
#pragma once
#include <torch/torch.h>

#include "core/dit/block_context.h"
#include "core/dit/dit_kernels.h"
#include "core/dit/kv_cache.h"
#include "core/linear.h"
#include "core/dit/norms.h"

namespace ablate::dit {

struct CausalSelfAttentionOptions {
  CausalSelfAttentionOptions(int64_t dim, int64_t num_heads) : dim_(dim), num_heads_(num_heads) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, num_heads);
  /// Sliding window in latent frames (-1: global cache). Default: -1
  TORCH_ARG(int64_t, local_attn_size) = -1;
  /// Frames never evicted from a sliding window. Default: 0
  TORCH_ARG(int64_t, sink_size) = 0;
  TORCH_ARG(double, eps) = 1e-6;
  /// Device and dtype the Linear weights are created with. Default: CPU float32
  TORCH_ARG(torch::TensorOptions, tensor_options) = torch::TensorOptions();
};

class CausalSelfAttentionImpl : public torch::nn::Module {
 public:
  explicit CausalSelfAttentionImpl(const CausalSelfAttentionOptions& options);
  // x: [B, L, dim] -> [B, L, dim] compute dtype; writes this chunk's K/V into `cache`
  torch::Tensor forward(const torch::Tensor& x, const BlockContext& ctx, SelfKvCache& cache);

  CausalSelfAttentionOptions options;
  Linear q{nullptr}, k{nullptr}, v{nullptr}, o{nullptr};
  WanRmsNorm norm_q{nullptr}, norm_k{nullptr};

 private:
  // Writes key/value ([B, n, heads, d]) into the cache as the reference does and returns the
  // [start, end) token range of the cache that attention reads.
  std::pair<int64_t, int64_t> update_cache(const torch::Tensor& key, const torch::Tensor& value,
                                           const BlockContext& ctx, SelfKvCache& cache,
                                           int64_t frame_seqlen);
};
TORCH_MODULE(CausalSelfAttention);

// softmax(q k^T / sqrt(d)) v with q: [B, Lq, heads, d], k/v: [B, Lk, heads, d] -> [B, Lq, heads, d]
torch::Tensor attention_blhd(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);
// The same through the context's attention seam (ctx.kernels->attention when set); `cross`: text.
torch::Tensor attention_blhd(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const BlockContext& ctx, bool cross);
// linear_as(x, layer, ctx.compute) through the context's GEMM seam (ctx.kernels->linear when set).
torch::Tensor block_linear(const torch::Tensor& x, const Linear& layer, const BlockContext& ctx, GemmSite site);
// norm(x) through the kernels' rms_norm seam when one is set (and takes x), else the module's own.
torch::Tensor block_rms_norm(WanRmsNorm norm, const torch::Tensor& x, const BlockContext& ctx);

}  // namespace ablate::dit
