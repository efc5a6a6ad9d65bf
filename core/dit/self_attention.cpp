#include "core/dit/self_attention.h"

#include <cmath>

#include "core/compat.h"
#include "core/dist/communicator.h"
#include "core/dit/rope.h"
#include "core/host_read.h"
#include "core/precision.h"
#include "profiling/nvtx.h"

namespace ablate::dit {

torch::Tensor attention_blhd(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  auto out = compat::attention_bhld(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), scale);
  return out.transpose(1, 2);
}

torch::Tensor attention_blhd(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const BlockContext& ctx, bool cross) {
  if (!ctx.kernels || !ctx.kernels->attention) return attention_blhd(q, k, v);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  return ctx.kernels->attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), scale, cross).transpose(1, 2);
}

torch::Tensor block_linear(const torch::Tensor& x, const Linear& layer, const BlockContext& ctx, GemmSite site) {
  if (!ctx.kernels || !ctx.kernels->linear) return linear_as(x, layer, ctx.compute);
  return ctx.kernels->linear(x, *layer, ctx.compute, site);
}

torch::Tensor block_rms_norm(WanRmsNorm norm, const torch::Tensor& x, const BlockContext& ctx) {
  if (ctx.kernels && ctx.kernels->rms_norm) {
    auto out = ctx.kernels->rms_norm(x, norm->weight, norm->options.eps());
    if (out.defined()) return out;
  }
  return norm(x);
}

CausalSelfAttentionImpl::CausalSelfAttentionImpl(const CausalSelfAttentionOptions& options_)
    : options(options_) {
  TORCH_CHECK(options.dim() % options.num_heads() == 0, "self-attention: dim ", options.dim(),
              " is not divisible by num_heads ", options.num_heads());
  const int64_t d = options.dim();
  q = register_module("q", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
  k = register_module("k", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
  v = register_module("v", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
  o = register_module("o", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
  norm_q = register_module("norm_q", WanRmsNorm(WanRmsNormOptions(d).eps(options.eps())));
  norm_k = register_module("norm_k", WanRmsNorm(WanRmsNormOptions(d).eps(options.eps())));
}

std::pair<int64_t, int64_t> CausalSelfAttentionImpl::update_cache(const torch::Tensor& key,
                                                                  const torch::Tensor& value,
                                                                  const BlockContext& ctx,
                                                                  SelfKvCache& cache,
                                                                  int64_t frame_seqlen) {
  const ForwardArgs& args = *ctx.args;
  const int64_t num_new = key.size(1);
  const int64_t current_end = args.current_start + num_new;
  const int64_t kv_cache_size = cache.k.size(1);
  const auto global_end = [&] { return host_read_int(cache.global_end_index, HostReadSite::kKvGlobalEnd); };
  const auto local_end = [&] { return host_read_int(cache.local_end_index, HostReadSite::kKvLocalEnd); };

  int64_t local_end_index = 0;
  const bool sliding = options.local_attn_size() != -1;
  if (!sliding && args.host_kv_indices) {
    // no-eviction path: the global cache's indices follow from current_start alone
    local_end_index = current_end;
    const int64_t local_start_index = args.current_start;
    if (args.kv_write_index.defined()) {
      cache.k.index_copy_(1, args.kv_write_index, key);
      cache.v.index_copy_(1, args.kv_write_index, value);
    } else {
      cache.k.slice(1, local_start_index, local_end_index).copy_(key);
      cache.v.slice(1, local_start_index, local_end_index).copy_(value);
    }
  } else if (sliding && current_end > global_end() && num_new + local_end() > kv_cache_size) {
    // roll left keeping the sink frames, then write the new tokens at the end
    const int64_t sink_tokens = options.sink_size() * frame_seqlen;
    const int64_t num_evicted = num_new + local_end() - kv_cache_size;
    const int64_t num_rolled = local_end() - num_evicted - sink_tokens;
    for (auto* t : {&cache.k, &cache.v}) {
      auto src = t->slice(1, sink_tokens + num_evicted, sink_tokens + num_evicted + num_rolled).clone();
      t->slice(1, sink_tokens, sink_tokens + num_rolled).copy_(src);
    }
    local_end_index = local_end() + current_end - global_end() - num_evicted;
    const int64_t local_start_index = local_end_index - num_new;
    cache.k.slice(1, local_start_index, local_end_index).copy_(key);
    cache.v.slice(1, local_start_index, local_end_index).copy_(value);
  } else {
    local_end_index = local_end() + current_end - global_end();
    const int64_t local_start_index = local_end_index - num_new;
    if (args.kv_write_index.defined() && !sliding) {
      cache.k.index_copy_(1, args.kv_write_index, key);
      cache.v.index_copy_(1, args.kv_write_index, value);
    } else {
      cache.k.slice(1, local_start_index, local_end_index).copy_(key);
      cache.v.slice(1, local_start_index, local_end_index).copy_(value);
    }
  }
  cache.global_end_index.fill_(current_end);
  cache.local_end_index.fill_(local_end_index);
  return {std::max<int64_t>(0, local_end_index - args.max_attention_size), local_end_index};
}

torch::Tensor CausalSelfAttentionImpl::forward(const torch::Tensor& x, const BlockContext& ctx,
                                               SelfKvCache& cache) {
  ABLATE_NVTX_RANGE("self_attn");
  const int64_t b = x.size(0), s = x.size(1), n = options.num_heads(), d = options.dim() / n;
  const ForwardArgs& args = *ctx.args;
  // q, k, v: [B, L, dim] -> [B, L, heads, d] in the compute dtype
  auto qh = block_rms_norm(norm_q, block_linear(x, q, ctx, GemmSite::kSelfQ), ctx).view({b, s, n, d});
  auto kh = block_rms_norm(norm_k, block_linear(x, k, ctx, GemmSite::kSelfK), ctx).view({b, s, n, d});
  auto vh = block_linear(x, v, ctx, GemmSite::kSelfV).view({b, s, n, d});
  int64_t real_tokens = s;
  if (ctx.comm) {
    // Ulysses: [B, L/w, heads, d] -> [B, L, heads/w, d] (gather tokens, scatter heads)
    qh = ctx.comm->all_to_all(qh, 2, 1);
    kh = ctx.comm->all_to_all(kh, 2, 1);
    vh = ctx.comm->all_to_all(vh, 2, 1);
    real_tokens = args.seq_len ? *args.seq_len : host_read_int(ctx.seq_lens[0], HostReadSite::kSeqLen);
  }

  const int64_t frame_seqlen =
      args.frame_seqlen ? *args.frame_seqlen
                        : host_read_int(ctx.grid_sizes[0][1] * ctx.grid_sizes[0][2], HostReadSite::kFrameSeqlen);
  const int64_t start_frame = args.current_start / frame_seqlen;
  // RoPE on the (padded) sequence; pad tokens pass through and are dropped before the cache
  auto rope = [&](const torch::Tensor& t) {
    if (ctx.kernels && ctx.kernels->rope) {
      auto out = ctx.kernels->rope(t, ctx.grid, ctx.freqs, start_frame);
      if (out.defined()) return out;
    }
    return causal_rope_apply(t, ctx.grid, ctx.freqs, start_frame);
  };
  auto roped_q = rope(qh).to(vh.scalar_type()).slice(1, 0, real_tokens);
  auto roped_k = rope(kh).to(vh.scalar_type()).slice(1, 0, real_tokens);
  auto value = vh.slice(1, 0, real_tokens);

  const auto [read_start, read_end] = update_cache(roped_k, value, ctx, cache, frame_seqlen);
  auto k_cache = cache.k.slice(1, read_start, read_end);
  auto v_cache = cache.v.slice(1, read_start, read_end);
  auto out = attention_blhd(roped_q, k_cache, v_cache, ctx, /*cross=*/false);  // [B, L, heads(/w), d]
  if (ctx.comm) {
    const int64_t pad = ctx.padded_tokens - real_tokens;
    if (pad > 0) out = torch::cat({out, out.new_zeros({b, pad, out.size(2), d})}, 1);
    out = ctx.comm->all_to_all(out, 1, 2);  // [B, L, heads/w, d] -> [B, L/w, heads, d]
  }
  return block_linear(out.flatten(2), o, ctx, GemmSite::kSelfO);
}

}  // namespace ablate::dit
