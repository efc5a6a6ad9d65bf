// One causal DiT block (CausalWanAttentionBlock): adaLN with 6 modulation vectors, self-attention
// with KV cache, camera injection (scale/shift from the Plücker tokens), cross-attention to text,
// tanh-GELU FFN. The residual stream is float32 as under the reference's autocast(float32) regions.
#pragma once
#include <torch/torch.h>

#include "core/dit/block_context.h"
#include "core/dit/cross_attention.h"
#include "core/dit/kv_cache.h"
#include "core/linear.h"
#include "core/dit/norms.h"
#include "core/dit/self_attention.h"

namespace ablate::dit {

struct AttentionBlockOptions {
  AttentionBlockOptions(int64_t dim, int64_t ffn_dim, int64_t num_heads)
      : dim_(dim), ffn_dim_(ffn_dim), num_heads_(num_heads) {}
  TORCH_ARG(int64_t, dim);
  TORCH_ARG(int64_t, ffn_dim);
  TORCH_ARG(int64_t, num_heads);
  TORCH_ARG(int64_t, local_attn_size) = -1;
  TORCH_ARG(int64_t, sink_size) = 0;
  TORCH_ARG(double, eps) = 1e-6;
  /// Device and dtype the Linear weights are created with. Default: CPU float32
  TORCH_ARG(torch::TensorOptions, tensor_options) = torch::TensorOptions();
};

class AttentionBlockImpl : public torch::nn::Module {
 public:
  explicit AttentionBlockImpl(const AttentionBlockOptions& options);
  // x: [B, L, dim] (compute dtype in block 0, float32 after) -> [B, L, dim] float32
  torch::Tensor forward(const torch::Tensor& x, const BlockContext& ctx, SelfKvCache& self_cache,
                        CrossKvCache& cross_cache);

  AttentionBlockOptions options;
  WanLayerNorm norm1{nullptr}, norm2{nullptr}, norm3{nullptr};
  CausalSelfAttention self_attn{nullptr};
  CrossAttention cross_attn{nullptr};
  torch::nn::Sequential ffn{nullptr};
  Linear ffn_fc1{nullptr}, ffn_fc2{nullptr};  // ffn.0 and ffn.2
  torch::Tensor modulation;  // [1, 6, dim]
  Linear cam_injector_layer1{nullptr}, cam_injector_layer2{nullptr};
  Linear cam_scale_layer{nullptr}, cam_shift_layer{nullptr};
};
TORCH_MODULE(AttentionBlock);

// tanh-GELU FFN fc2(gelu(fc1(x))) in the compute dtype, through the context's GEMM seam.
torch::Tensor ffn_forward(const Linear& fc1, const Linear& fc2, const torch::Tensor& x,
                          const BlockContext& ctx);

}  // namespace ablate::dit
