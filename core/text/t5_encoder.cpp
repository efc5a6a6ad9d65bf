// UMT5-style encoder math, following wan/modules/t5.py op for op (so bf16 rounding matches).
#include "core/text/t5_encoder.h"

#include <cmath>
#include <functional>
#include <limits>

#include "core/host_read.h"
#include "profiling/nvtx.h"

namespace ablate::text {
namespace {

// t5.py fp16_clamp: only fp16 is clamped, and only when it already overflowed. The reference
// branches on isinf(x).any() on the host, so that read is counted (kOther); fp32/bf16 never read.
torch::Tensor fp16_clamp(const torch::Tensor& x) {
  if (x.scalar_type() != torch::kHalf) return x;
  if (host_read_int(torch::isinf(x).any().to(torch::kLong), HostReadSite::kOther) == 0) return x;
  const double clamp = 65504.0 - 1000.0;  // finfo(float16).max - 1000
  return torch::clamp(x, -clamp, clamp);
}

// name == key or name ends with "." + key (so "t5." or no prefix both match).
bool key_is(const std::string& name, const std::string& key) {
  if (name == key) return true;
  const std::string dotted = "." + key;
  return name.size() > dotted.size() && name.compare(name.size() - dotted.size(), dotted.size(), dotted) == 0;
}

}  // namespace

torch::Tensor relative_position_bucket(const torch::Tensor& rel_pos_in, int64_t num_buckets,
                                       int64_t max_distance, bool bidirectional) {
  TORCH_CHECK(rel_pos_in.scalar_type() == torch::kLong, "relative_position_bucket expects int64 ",
              "relative positions, but got ", rel_pos_in.scalar_type());
  torch::Tensor rel_pos;
  torch::Tensor rel_buckets;
  if (bidirectional) {
    num_buckets = num_buckets / 2;
    rel_buckets = (rel_pos_in > 0).to(torch::kLong) * num_buckets;
    rel_pos = torch::abs(rel_pos_in);
  } else {
    rel_buckets = torch::zeros_like(rel_pos_in);
    rel_pos = -torch::minimum(rel_pos_in, torch::zeros_like(rel_pos_in));
  }
  // Small offsets get exact buckets; larger ones log-spaced up to max_distance. Same float32 ops
  // and truncation (.long()) as the reference; for rel_pos 0 the log is -inf, but torch::where
  // picks the exact branch there, as in the reference.
  const int64_t max_exact = num_buckets / 2;
  const double log_ratio = std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact));
  auto rel_pos_large =
      max_exact + (torch::log(rel_pos.to(torch::kFloat) / max_exact) / log_ratio * (num_buckets - max_exact))
                      .to(torch::kLong);
  rel_pos_large = torch::minimum(rel_pos_large, torch::full_like(rel_pos_large, num_buckets - 1));
  return rel_buckets + torch::where(rel_pos < max_exact, rel_pos, rel_pos_large);
}

torch::Tensor gelu_tanh(const torch::Tensor& x) {
  // Not torch::gelu(approximate="tanh"): that fuses the ops in float, the reference rounds each.
  const double pi = 3.141592653589793;  // math.pi
  return 0.5 * x * (1.0 + torch::tanh(std::sqrt(2.0 / pi) * (x + 0.044715 * torch::pow(x, 3.0))));
}

double finfo_min(torch::Dtype dtype) {
  if (dtype == torch::kFloat) return static_cast<double>(std::numeric_limits<float>::lowest());
  if (dtype == torch::kDouble) return std::numeric_limits<double>::lowest();
  if (dtype == torch::kBFloat16) return -3.3895313892515355e38;  // -(2 - 2^-7) * 2^127
  TORCH_CHECK(dtype == torch::kHalf, "finfo_min expects a floating dtype ",
              "(float32/float64/bfloat16/float16), but got ", dtype);
  return -65504.0;
}

// Init scales (the checkpoint is never loaded here, so these only need to keep a random model
// numerically healthy at tiny and umt5-xxl shapes): RMS-normed inputs have unit scale, so
// fan-in^-0.5 keeps k, v, gate, fc1 outputs ~1 and o, fc2 outputs ~attention/FFN scale; q at
// (dim*dim_attn)^-0.5 (t5.py init_weights; the head count is not visible from q's shape) gives
// unscaled logits of std N^-0.5; a position bias of std 0.2 tilts attention by distance without
// dominating. The embedding at std 1 and ~24 residual adds of O(1) keep the stream std in ~[1, 6].
InitSpec t5_init_rule(const std::string& name, const torch::Tensor& p) {
  if (key_is(name, "token_embedding.weight")) return InitSpec::uniform(1.0);
  if (key_is(name, "pos_embedding.embedding.weight")) return InitSpec::uniform(0.2);
  if (key_is(name, "norm.weight") || key_is(name, "norm1.weight") || key_is(name, "norm2.weight")) {
    return InitSpec::constant(1.0);
  }
  TORCH_CHECK(p.dim() == 2, "t5_init_rule expects a 2-D Linear weight for ", name, ", but got shape ",
              p.sizes());
  const double fan_out = static_cast<double>(p.size(0));
  const double fan_in = static_cast<double>(p.size(1));
  if (key_is(name, "attn.q.weight")) return InitSpec::uniform(1.0 / std::sqrt(fan_in * fan_out));
  bool fan_in_scaled = false;
  for (const char* key : {"attn.k.weight", "attn.v.weight", "attn.o.weight", "ffn.gate.0.weight",
                          "ffn.fc1.weight", "ffn.fc2.weight"}) {
    fan_in_scaled = fan_in_scaled || key_is(name, key);
  }
  TORCH_CHECK(fan_in_scaled, "t5_init_rule: expected a T5 encoder parameter, but got unknown name ", name);
  return InitSpec::uniform(1.0 / std::sqrt(fan_in));
}

// ~~~~~~~~~~ T5LayerNorm ~~~~~~~~~~
T5LayerNormImpl::T5LayerNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor T5LayerNormImpl::forward(const torch::Tensor& x) {
  // x (any dtype) times a float32 statistic promotes to float32, as in the reference.
  auto y = x * torch::rsqrt(x.to(torch::kFloat).pow(2).mean({-1}, /*keepdim=*/true) + eps_);
  if (weight.scalar_type() == torch::kHalf || weight.scalar_type() == torch::kBFloat16) {
    y = y.to(weight.scalar_type());
  }
  return weight * y;
}

// ~~~~~~~~~~ T5RelativeEmbedding ~~~~~~~~~~
T5RelativeEmbeddingImpl::T5RelativeEmbeddingImpl(int64_t num_buckets, int64_t num_heads, bool bidirectional,
                                                 int64_t max_distance)
    : num_buckets_(num_buckets), bidirectional_(bidirectional), max_distance_(max_distance) {
  embedding = register_module("embedding", torch::nn::Embedding(num_buckets, num_heads));
}

torch::Tensor T5RelativeEmbeddingImpl::forward(int64_t lq, int64_t lk) {
  // The reference buckets every (query, key) pair; the bucket depends on key - query alone, so the
  // Lq + Lk - 1 distinct offsets are bucketed and looked up once and then laid out as [Lq, Lk]:
  // the same rows of the same table, without 512 x 512 logs per layer on the host.
  const auto opts = torch::TensorOptions().dtype(torch::kLong).device(embedding->weight.device());
  auto rel_pos = torch::arange(-(lq - 1), lk, opts);  // [Lq + Lk - 1]: key - query, ascending
  auto buckets = relative_position_bucket(rel_pos, num_buckets_, max_distance_, bidirectional_);
  auto e = embedding->forward(buckets).t();  // [N, Lq + Lk - 1]
  // window s holds offsets s - (Lq - 1) .. s - (Lq - 1) + Lk - 1, which is query Lq - 1 - s's row
  return e.unfold(/*dimension=*/1, /*size=*/lk, /*step=*/1).flip({1}).unsqueeze(0).contiguous();  // [1, N, Lq, Lk]
}

// ~~~~~~~~~~ T5Attention ~~~~~~~~~~
T5AttentionImpl::T5AttentionImpl(int64_t dim, int64_t dim_attn, int64_t num_heads,
                                 torch::TensorOptions tensor_options)
    : num_heads_(num_heads), head_dim_(num_heads > 0 ? dim_attn / num_heads : 0) {
  TORCH_CHECK(num_heads > 0 && dim_attn % num_heads == 0, "T5Attention expects dim_attn divisible ",
              "by num_heads, but got dim_attn ", dim_attn, ", num_heads ", num_heads);
  auto linear = [&](int64_t in, int64_t out) {
    return Linear(LinearOptions(in, out).bias(false).tensor_options(tensor_options));
  };
  q = register_module("q", linear(dim, dim_attn));
  k = register_module("k", linear(dim, dim_attn));
  v = register_module("v", linear(dim, dim_attn));
  o = register_module("o", linear(dim_attn, dim));
}

torch::Tensor T5AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask,
                                       const torch::Tensor& pos_bias) {
  const int64_t b = x.size(0);
  auto qh = q->forward(x).view({b, -1, num_heads_, head_dim_});  // [B, L, N, D]
  auto kh = k->forward(x).view({b, -1, num_heads_, head_dim_});  // [B, L, N, D]
  auto vh = v->forward(x).view({b, -1, num_heads_, head_dim_});  // [B, L, N, D]

  auto bias = x.new_zeros({b, num_heads_, qh.size(1), kh.size(1)});  // [B, N, Lq, Lk]
  if (pos_bias.defined()) bias += pos_bias;
  if (mask.defined()) {
    TORCH_CHECK(mask.dim() == 2 && mask.size(0) == b && mask.size(1) == kh.size(1),
                "T5Attention expects mask [", b, ", ", kh.size(1), "], but got ", mask.sizes());
    bias.masked_fill_(mask.reshape({b, 1, 1, -1}) == 0, finfo_min(x.scalar_type()));
  }
  // No 1/sqrt(D) scaling (T5); softmax in float32, then back to the compute dtype.
  auto attn = torch::einsum("binc,bjnc->bnij", {qh, kh}) + bias;  // [B, N, Lq, Lk]
  attn = torch::softmax(attn.to(torch::kFloat), -1).to(attn.scalar_type());
  auto out = torch::einsum("bnij,bjnc->binc", {attn, vh});  // [B, Lq, N, D]
  out = out.reshape({b, -1, num_heads_ * head_dim_});       // [B, Lq, N*D]
  return o->forward(out);                                   // [B, Lq, C]
}

// ~~~~~~~~~~ T5FeedForward ~~~~~~~~~~
T5FeedForwardImpl::T5FeedForwardImpl(int64_t dim, int64_t dim_ffn, torch::TensorOptions tensor_options) {
  auto linear = [&](int64_t in, int64_t out) {
    return Linear(LinearOptions(in, out).bias(false).tensor_options(tensor_options));
  };
  const std::function<torch::Tensor(torch::Tensor)> gelu = [](torch::Tensor t) { return gelu_tanh(t); };
  gate = register_module("gate", torch::nn::Sequential(linear(dim, dim_ffn), torch::nn::Functional(gelu)));
  fc1 = register_module("fc1", linear(dim, dim_ffn));
  fc2 = register_module("fc2", linear(dim_ffn, dim));
}

torch::Tensor T5FeedForwardImpl::forward(const torch::Tensor& x) {
  auto h = fc1->forward(x) * gate->forward(x);  // [B, L, F]
  return fc2->forward(h);                       // [B, L, C]
}

// ~~~~~~~~~~ T5SelfAttention ~~~~~~~~~~
T5SelfAttentionImpl::T5SelfAttentionImpl(const T5EncoderOptions& o) {
  norm1 = register_module("norm1", T5LayerNorm(o.dim(), o.eps()));
  attn = register_module("attn", T5Attention(o.dim(), o.dim_attn(), o.num_heads(), o.tensor_options()));
  norm2 = register_module("norm2", T5LayerNorm(o.dim(), o.eps()));
  ffn = register_module("ffn", T5FeedForward(o.dim(), o.dim_ffn(), o.tensor_options()));
  pos_embedding = register_module(
      "pos_embedding",
      T5RelativeEmbedding(o.num_buckets(), o.num_heads(), /*bidirectional=*/true, o.max_distance()));
}

torch::Tensor T5SelfAttentionImpl::forward(const torch::Tensor& x_in, const torch::Tensor& mask) {
  auto e = pos_embedding->forward(x_in.size(1), x_in.size(1));  // [1, N, L, L]
  auto x = fp16_clamp(x_in + attn->forward(norm1->forward(x_in), mask, e));
  return fp16_clamp(x + ffn->forward(norm2->forward(x)));  // [B, L, C]
}

// ~~~~~~~~~~ T5Encoder ~~~~~~~~~~
T5EncoderImpl::T5EncoderImpl(const T5EncoderOptions& options_) : options(options_) {
  TORCH_CHECK(options.num_buckets() >= 4 && options.num_buckets() % 2 == 0,
              "T5Encoder expects an even num_buckets >= 4 (bidirectional), but got ", options.num_buckets());
  token_embedding =
      register_module("token_embedding", Embedding(EmbeddingOptions(options.vocab_size(), options.dim())
                                                       .tensor_options(options.tensor_options())));
  blocks = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < options.num_layers(); ++i) {
    block_list_.push_back(T5SelfAttention(options));
    blocks->push_back(block_list_.back());
  }
  norm = register_module("norm", T5LayerNorm(options.dim(), options.eps()));
}

torch::Tensor T5EncoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& mask) {
  return run(ids, mask, nullptr);  // [B, L, C]
}

std::vector<torch::Tensor> T5EncoderImpl::forward_with_layer_outputs(const torch::Tensor& ids,
                                                                     const torch::Tensor& mask) {
  std::vector<torch::Tensor> outputs;
  run(ids, mask, &outputs);
  return outputs;  // num_layers + 2 tensors, each [B, L, C]
}

torch::Tensor T5EncoderImpl::run(const torch::Tensor& ids, const torch::Tensor& mask,
                                 std::vector<torch::Tensor>* layer_outputs) {
  torch::NoGradGuard no_grad;
  TORCH_CHECK(ids.dim() == 2 && ids.scalar_type() == torch::kLong,
              "T5Encoder expects ids [B, L] int64, but got ", ids.sizes(), " ", ids.scalar_type());
  TORCH_CHECK(!mask.defined() || mask.sizes() == ids.sizes(), "T5Encoder expects mask of shape ", ids.sizes(),
              " (or none), but got ", mask.sizes());
  if (unit_hooks) unit_hooks->before(-1);
  auto x = token_embedding->forward(ids);  // [B, L, C]
  if (layer_outputs) layer_outputs->push_back(x);
  for (size_t i = 0; i < block_list_.size(); ++i) {
    ABLATE_NVTX_RANGE("t5_block", static_cast<int64_t>(i));
    if (unit_hooks) unit_hooks->before(static_cast<int64_t>(i));
    x = block_list_[i]->forward(x, mask);  // [B, L, C]
    if (unit_hooks) unit_hooks->after(static_cast<int64_t>(i));
    if (layer_outputs) layer_outputs->push_back(x);
  }
  x = norm->forward(x);  // [B, L, C]
  if (unit_hooks) unit_hooks->after(-1);
  if (layer_outputs) layer_outputs->push_back(x);
  return x;
}

}  // namespace ablate::text
