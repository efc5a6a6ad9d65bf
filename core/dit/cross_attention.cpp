#include "core/dit/cross_attention.h"

#include "core/dit/self_attention.h"
#include "core/host_read.h"
#include "core/precision.h"
#include "profiling/nvtx.h"

namespace ablate::dit {

CrossAttentionImpl::CrossAttentionImpl(const CrossAttentionOptions& options_) : options(options_) {
  const int64_t d = options.dim();
  q = register_module("q", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
  k = register_module("k", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
  v = register_module("v", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
  o = register_module("o", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
  norm_q = register_module("norm_q", WanRmsNorm(WanRmsNormOptions(d).eps(options.eps())));
  norm_k = register_module("norm_k", WanRmsNorm(WanRmsNormOptions(d).eps(options.eps())));
}

torch::Tensor CrossAttentionImpl::forward(const torch::Tensor& x, const BlockContext& ctx,
                                          CrossKvCache& cache) {
  ABLATE_NVTX_RANGE("cross_attn");
  const int64_t b = x.size(0), n = options.num_heads(), d = options.dim() / n;
  auto qh = block_rms_norm(norm_q, block_linear(x, q, ctx, GemmSite::kCrossQ), ctx).view({b, -1, n, d});  // [B, L, heads, d]

  const ForwardArgs& args = *ctx.args;
  const bool first_call = args.cross_attn_first_call
                              ? *args.cross_attn_first_call
                              : host_read_int(cache.is_init, HostReadSite::kCrossAttnIsInit) == 0;
  if (first_call) {
    TORCH_CHECK(ctx.context.defined(), "cross-attention: this forward fills the K/V cache but its text embedding was "
                "skipped (ForwardArgs::embed_text = false); expected it on the first forward of a generate()");
    cache.is_init.fill_(1);
    // context: [B, text_len, dim] -> [B, text_len, heads, d]
    cache.k.copy_(block_rms_norm(norm_k, block_linear(ctx.context, k, ctx, GemmSite::kCrossK), ctx).view({b, -1, n, d}));
    cache.v.copy_(block_linear(ctx.context, v, ctx, GemmSite::kCrossV).view({b, -1, n, d}));
  }
  auto out = attention_blhd(qh, cache.k, cache.v, ctx, /*cross=*/true);
  return block_linear(out.flatten(2), o, ctx, GemmSite::kCrossO);
}

}  // namespace ablate::dit
