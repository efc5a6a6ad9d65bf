#include "core/dit/attention_block.h"

#include "core/precision.h"
#include "profiling/nvtx.h"

namespace ablate::dit {

AttentionBlockImpl::AttentionBlockImpl(const AttentionBlockOptions& options_) : options(options_) {
  const int64_t d = options.dim();
  norm1 = register_module("norm1", WanLayerNorm(WanLayerNormOptions(d).eps(options.eps())));
  self_attn = register_module("self_attn", CausalSelfAttention(CausalSelfAttentionOptions(d, options.num_heads())
                                                                   .local_attn_size(options.local_attn_size())
                                                                   .sink_size(options.sink_size())
                                                                   .eps(options.eps())
                                                                   .tensor_options(options.tensor_options())));
  norm3 = register_module("norm3", WanLayerNorm(WanLayerNormOptions(d).eps(options.eps()).elementwise_affine(true)));
  cross_attn = register_module("cross_attn", CrossAttention(CrossAttentionOptions(d, options.num_heads()).eps(options.eps()).tensor_options(options.tensor_options())));
  norm2 = register_module("norm2", WanLayerNorm(WanLayerNormOptions(d).eps(options.eps())));
  ffn_fc1 = Linear(LinearOptions(d, options.ffn_dim()).tensor_options(options.tensor_options()));
  ffn_fc2 = Linear(LinearOptions(options.ffn_dim(), d).tensor_options(options.tensor_options()));
  // "ffn.0" / "ffn.2" as in the reference's nn.Sequential(Linear, GELU, Linear)
  ffn = register_module("ffn", torch::nn::Sequential(ffn_fc1, torch::nn::Functional([](torch::Tensor t) { return torch::gelu(t, "tanh"); }), ffn_fc2));
  modulation = register_parameter("modulation", torch::zeros({1, 6, d}), false);
  cam_injector_layer1 = register_module("cam_injector_layer1", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
  cam_injector_layer2 = register_module("cam_injector_layer2", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
  cam_scale_layer = register_module("cam_scale_layer", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
  cam_shift_layer = register_module("cam_shift_layer", Linear(LinearOptions(d, d).tensor_options(options.tensor_options())));
}

torch::Tensor ffn_forward(const Linear& fc1, const Linear& fc2, const torch::Tensor& x,
                          const BlockContext& ctx) {
  // x: [B, L, dim] -> [B, L, ffn_dim] -> [B, L, dim], GELU(tanh) in the compute dtype
  return block_linear(torch::gelu(block_linear(x, fc1, ctx, GemmSite::kFfnIn), "tanh"), fc2, ctx, GemmSite::kFfnOut);
}

torch::Tensor AttentionBlockImpl::forward(const torch::Tensor& x_in, const BlockContext& ctx,
                                          SelfKvCache& self_cache, CrossKvCache& cross_cache) {
  const DitKernels* kernels = ctx.kernels;
  // m: [B, L, 6, dim] float32 -> six [B, L, dim] (shift/scale/gate for attention and FFN); made on
  // first use, so a block whose elementwise seams take the modulation never builds it
  std::vector<torch::Tensor> m;
  auto mod = [&](int64_t i) {
    if (m.empty()) m = (modulation.to(torch::kFloat).unsqueeze(0) + ctx.e0).chunk(6, 2);
    return m[i].squeeze(2);
  };
  // normed * (1 + scale) + shift
  auto modulate = [&](const torch::Tensor& normed, int64_t shift) {
    if (kernels && kernels->modulate) {
      auto out = kernels->modulate(normed, modulation, ctx.e0, shift, ctx.compute);
      if (out.defined()) return out;
    }
    return normed.to(torch::kFloat) * (1 + mod(shift + 1)) + mod(shift);
  };
  // x + y * gate, float32
  auto gated = [&](const torch::Tensor& x, const torch::Tensor& y, int64_t gate) {
    if (kernels && kernels->gated_residual) {
      auto out = kernels->gated_residual(x, y, modulation, ctx.e0, gate);
      if (out.defined()) return out;
    }
    return x + y * mod(gate);
  };

  auto y = self_attn(modulate(norm1(x_in), 0), ctx, self_cache);
  auto x = gated(x_in, y, 2);  // float32 from here on

  {
    ABLATE_NVTX_RANGE("cam_inject");
    // scale, shift: [B, L, dim] from the camera tokens alone
    auto compute = [&] {
      auto c = ctx.cam;
      auto h = linear_as(torch::silu(linear_as(c, cam_injector_layer1, ctx.compute)), cam_injector_layer2, ctx.compute) + c;
      return ForwardArgs::CameraTerms{linear_as(h, cam_scale_layer, ctx.compute), linear_as(h, cam_shift_layer, ctx.compute)};
    };
    const auto [scale, shift] = ctx.args && ctx.args->camera_terms ? ctx.args->camera_terms(ctx.block, compute) : compute();
    torch::Tensor fused;
    if (kernels && kernels->cam_modulate) fused = kernels->cam_modulate(x, scale, shift);
    x = fused.defined() ? fused : (1.0 + scale) * x + shift;
  }

  x = x + cross_attn(norm3(x), ctx, cross_cache);

  ABLATE_NVTX_RANGE("ffn");
  auto f = ffn_forward(ffn_fc1, ffn_fc2, modulate(norm2(x), 3), ctx);
  return gated(x, f, 5);
}

}  // namespace ablate::dit
