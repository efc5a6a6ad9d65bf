// UMT5-style text encoder (wan/modules/t5.py T5Encoder with shared_pos=False), inference only:
// T5LayerNorm, T5RelativeEmbedding, T5Attention, T5FeedForward, T5SelfAttention (one block),
// T5Encoder, plus the seeded-init rule. Children carry the reference's state_dict key names.
//
// Dimensions: B batch, L tokens, C = dim, N = num_heads, D = dim_attn / N, F = dim_ffn,
// K = num_buckets. Every module computes in the dtype of its parameters (the reference runs the
// whole encoder in bf16); only the norm statistics and the softmax are taken in float32.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/linear.h"
#include "core/seeded_init.h"
#include "core/text/t5_options.h"
#include "core/unit_hooks.h"

namespace ablate::text {

/// t5.py T5RelativeEmbedding._relative_position_bucket, op for op (same float32 log math, same
/// clamping): rel_pos = key index - query index (int64, any shape) -> bucket index (int64, same
/// shape). Bidirectional: num_buckets / 2 per direction, positive offsets in the upper half.
torch::Tensor relative_position_bucket(const torch::Tensor& rel_pos, int64_t num_buckets,
                                       int64_t max_distance, bool bidirectional);

/// t5.py GELU: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), op for op in x's dtype.
torch::Tensor gelu_tanh(const torch::Tensor& x);

/// torch.finfo(dtype).min for a floating dtype (the additive mask value of T5Attention).
double finfo_min(torch::Dtype dtype);

/// Seeded-init rule for ablate::init_parameters (names with or without a prefix such as "t5.").
/// Uniform with: token_embedding std 1; attn.q std (dim * dim_attn)^-0.5 as t5.py init_weights;
/// attn.k/v/o, ffn.gate.0, ffn.fc1, ffn.fc2 std fan_in^-0.5; pos_embedding std 0.2; norms 1.
/// TORCH_CHECK failure for a name it does not know. Reasons are in t5_encoder.cpp.
InitSpec t5_init_rule(const std::string& name, const torch::Tensor& p);

// ~~~~~~~~~~ T5LayerNorm ~~~~~~~~~~
/// RMSNorm: x * rsqrt(mean(x^2) + eps) with the statistic in float32, cast back to the weight's
/// dtype when that is fp16/bf16, then times weight. Key: `weight` [C].
class T5LayerNormImpl : public torch::nn::Module {
 public:
  T5LayerNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);  // [..., C] -> [..., C]
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(T5LayerNorm);

// ~~~~~~~~~~ T5RelativeEmbedding ~~~~~~~~~~
/// Learned per-head bias for bucketed relative positions. Key: `embedding.weight` [K, N].
class T5RelativeEmbeddingImpl : public torch::nn::Module {
 public:
  T5RelativeEmbeddingImpl(int64_t num_buckets, int64_t num_heads, bool bidirectional, int64_t max_distance);
  torch::Tensor forward(int64_t lq, int64_t lk);  // -> [1, N, Lq, Lk]
  torch::nn::Embedding embedding = nullptr;

 private:
  int64_t num_buckets_;
  bool bidirectional_;
  int64_t max_distance_;
};
TORCH_MODULE(T5RelativeEmbedding);

// ~~~~~~~~~~ T5Attention ~~~~~~~~~~
/// Multi-head self-attention without 1/sqrt(D) scaling. Keys: `q`, `k`, `v` [N*D, C], `o` [C, N*D].
class T5AttentionImpl : public torch::nn::Module {
 public:
  T5AttentionImpl(int64_t dim, int64_t dim_attn, int64_t num_heads,
                  torch::TensorOptions tensor_options = torch::TensorOptions());
  // x: [B, L, C], mask: [B, L] (0 = padded key) or undefined, pos_bias: [1, N, L, L] or undefined
  // -> [B, L, C]
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask, const torch::Tensor& pos_bias);
  Linear q = nullptr, k = nullptr, v = nullptr, o = nullptr;

 private:
  int64_t num_heads_;
  int64_t head_dim_;
};
TORCH_MODULE(T5Attention);

// ~~~~~~~~~~ T5FeedForward ~~~~~~~~~~
/// Gated GELU: fc2(fc1(x) * gelu_tanh(gate(x))). Keys: `gate.0` [F, C], `fc1` [F, C], `fc2` [C, F].
class T5FeedForwardImpl : public torch::nn::Module {
 public:
  T5FeedForwardImpl(int64_t dim, int64_t dim_ffn, torch::TensorOptions tensor_options = torch::TensorOptions());
  torch::Tensor forward(const torch::Tensor& x);  // [B, L, C] -> [B, L, C]
  torch::nn::Sequential gate = nullptr;           // Linear(C, F) then gelu_tanh, as the reference
  Linear fc1 = nullptr, fc2 = nullptr;
};
TORCH_MODULE(T5FeedForward);

// ~~~~~~~~~~ T5SelfAttention (one encoder block) ~~~~~~~~~~
/// x += attn(norm1(x), mask, own position bias); x += ffn(norm2(x)).
/// Keys: `norm1`, `attn`, `norm2`, `ffn`, `pos_embedding` (per block: shared_pos=False).
class T5SelfAttentionImpl : public torch::nn::Module {
 public:
  explicit T5SelfAttentionImpl(const T5EncoderOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);  // [B, L, C] -> [B, L, C]
  T5LayerNorm norm1 = nullptr;
  T5Attention attn = nullptr;
  T5LayerNorm norm2 = nullptr;
  T5FeedForward ffn = nullptr;
  T5RelativeEmbedding pos_embedding = nullptr;
};
TORCH_MODULE(T5SelfAttention);

// ~~~~~~~~~~ T5Encoder ~~~~~~~~~~
/// token_embedding -> num_layers blocks -> final norm. Keys: `token_embedding.weight` [V, C],
/// `blocks.{i}.*`, `norm.weight`. Dropout of the reference is off (inference).
class T5EncoderImpl : public torch::nn::Module {
 public:
  explicit T5EncoderImpl(const T5EncoderOptions& options);
  // ids: [B, L] int64, mask: [B, L] int64 (1 real, 0 padding) or undefined -> [B, L, C]
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& mask);
  /// Same computation; returns [embedding output, block 0 output, ..., block n-1 output,
  /// final norm output], each [B, L, C]. The last one equals forward().
  std::vector<torch::Tensor> forward_with_layer_outputs(const torch::Tensor& ids, const torch::Tensor& mask);

  // Parameter-residency seam (sharded parameters, the reference's --t5_fsdp); null: resident.
  UnitHooks* unit_hooks = nullptr;
  T5EncoderOptions options;
  Embedding token_embedding = nullptr;
  torch::nn::ModuleList blocks = nullptr;
  T5LayerNorm norm = nullptr;

 private:
  torch::Tensor run(const torch::Tensor& ids, const torch::Tensor& mask,
                    std::vector<torch::Tensor>* layer_outputs);
  std::vector<T5SelfAttention> block_list_;  // typed views of `blocks`
};
TORCH_MODULE(T5Encoder);

}  // namespace ablate::text
