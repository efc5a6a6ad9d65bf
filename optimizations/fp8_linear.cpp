#include "optimizations/fp8_linear.h"

#include "core/compat.h"
#include "core/error.h"

#if defined(ABLATE_CUDA_KERNELS)
#include "optimizations/kernels/fused_ops.h"
#endif

namespace ablate::opt {

StrategyInfo Fp8LinearStrategy::info() const {
  StrategyInfo i;
  i.name = "fp8_linear";
  i.description = "DiT q/k/v/o and FFN GEMMs in FP8 e4m3 (at::_scaled_mm, SM90), per-tensor or per-row scales";
  i.values = {"off", "per_tensor", "per_row"};
  // Tier B. e4m3 keeps 3 mantissa bits: each operand is rounded with a relative error of at most
  // 2^-4 (rms ~2^-4/sqrt(3) ~ 3.6%), and a K-term dot product of independent rounding errors has
  // about the same relative rms error, so each GEMM's output moves by ~5% rms (both operands;
  // per-row scales lose less to outlier rows). The residual stream adds the blocks' outputs through
  // their gates (~0.2), which damps each block's error before the next. Bound: final latents within
  // 15% relative L2, the video above 25 dB PSNR and every frame above 22 dB: well short of
  // "transparent" (35-40 dB), the price of FP8, but a clearly visible failure (wrong scale, a
  // transposed operand, saturation) lands far below it (< 15 dB).
  i.tier = Tier::kB;
  i.cuda_only = true;
  i.min_psnr_db = 25.0;
  i.min_frame_psnr_db = 22.0;
  i.max_latent_rel_l2 = 0.15;
  return i;
}

Fp8Scaling fp8_scaling_named(const std::string& value) {
  if (value == "per_tensor") return Fp8Scaling::kPerTensor;
  if (value == "per_row") return Fp8Scaling::kPerRow;
  throw UsageError("fp8_linear: unknown value '" + value + "' (expected off, per_tensor or per_row)");
}

torch::Tensor fp8_scales(const torch::Tensor& t, Fp8Scaling scaling) {
  TORCH_CHECK(t.dim() == 2, "fp8_scales: expected a [rows, cols] tensor, got ", t.sizes());
  auto amax = scaling == Fp8Scaling::kPerTensor ? t.abs().amax().to(torch::kFloat)
                                                : t.abs().amax({1}, /*keepdim=*/true).to(torch::kFloat);
  // on the device, no host read: a zero amax keeps scale 1
  return torch::where(amax > 0, amax / kE4m3Max, torch::ones_like(amax));
}

torch::Tensor e4m3_round(const torch::Tensor& t) {
  auto a = t.to(torch::kDouble).abs().clamp_max(kE4m3Max);
  // exponent of each value, floored at the smallest normal's (-6): below it the grid is 2^-9
  auto e = torch::floor(torch::log2(a)).clamp_min(-6.0);
  auto step = torch::pow(2.0, e - 3.0);                  // 3 mantissa bits
  auto r = torch::round(a / step) * step;                // half to even, as the hardware
  return (torch::sign(t.to(torch::kDouble)) * r.clamp_max(kE4m3Max)).to(torch::kFloat);
}

torch::Tensor fp8_quantize_reference(const torch::Tensor& t, const torch::Tensor& scale) {
  return e4m3_round((t.to(torch::kFloat) / scale).clamp(-kE4m3Max, kE4m3Max));
}

torch::Tensor fp8_dequantize_reference(const torch::Tensor& q, const torch::Tensor& scale) { return q * scale; }

std::string Fp8LinearStrategy::validate(const std::string& value, const RunConfig& config) const {
  if (value == info().values.front()) return "";
  fp8_scaling_named(value);
  const std::string why = compat::scaled_mm_unavailable(config.device);
  if (!why.empty()) return "fp8_linear " + why;
  if (config.world_size > 1)
    return "fp8_linear runs at world size 1 (its FP8 weight copies are made once, outside the sharded parameters' gathers)";
  return Strategy::validate(value, config);
}

void Fp8LinearStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  scaling_ = fp8_scaling_named(value);
  torch::NoGradGuard no_grad;
  auto& model = *pipeline.dit();
  for (int64_t b = 0; b < model.num_layers(); ++b) {
    auto* block = model.blocks[b]->as<dit::AttentionBlockImpl>();
    for (const Linear* layer : {&block->self_attn->q, &block->self_attn->k, &block->self_attn->v,
                                     &block->self_attn->o, &block->cross_attn->q, &block->cross_attn->k,
                                     &block->cross_attn->v, &block->cross_attn->o, &block->ffn_fc1, &block->ffn_fc2}) {
      const auto& w = (*layer)->weight;  // [N, K]
      if (w.size(0) % 16 != 0 || w.size(1) % 16 != 0) {  // _scaled_mm's alignment; stays in the compute dtype
        ++unaligned_layers_;
        continue;
      }
      Fp8Weight q;
      auto scale = fp8_scales(w, scaling_);  // [] or [N, 1]
      q.w8 = compat::to_float8_e4m3((w.to(torch::kFloat) / scale).clamp(-kE4m3Max, kE4m3Max)).contiguous();
      q.scale = scaling_ == Fp8Scaling::kPerRow ? scale.t().contiguous() : scale;  // [1, N] for the column operand
      q.bias = (*layer)->bias;
      weights_[layer->get()] = q;
    }
  }
  pipeline.seams().dit_kernels.linear = [this](const torch::Tensor& x, const LinearImpl& layer, torch::Dtype compute,
                                               dit::GemmSite) {
    auto it = weights_.find(&layer);
    if (it == weights_.end()) {
      ++fallback_calls_;
      auto b = layer.bias.defined() ? layer.bias.to(compute) : torch::Tensor();
      return torch::linear(x.to(compute), layer.weight.to(compute), b);
    }
    ++fp8_calls_;
    const Fp8Weight& w = it->second;
    const int64_t k = x.size(-1), n = w.w8.size(0);
    auto [x8, sx] = quantize_activation(x.reshape({-1, k}));  // [M, K] e4m3, [] or [M, 1]
    // per-row scaling needs a bf16 output from _scaled_mm
    const auto out_dtype = scaling_ == Fp8Scaling::kPerRow ? torch::kBFloat16 : compute;
    auto out = compat::scaled_mm_fp8(x8, w.w8, sx, w.scale, w.bias, out_dtype).to(compute);  // [M, N]
    auto shape = x.sizes().vec();
    shape.back() = n;
    return out.view(shape);
  };
}

std::pair<torch::Tensor, torch::Tensor> Fp8LinearStrategy::quantize_activation(const torch::Tensor& x) {
#if defined(ABLATE_CUDA_KERNELS)
  // One kernel per call instead of abs, amax, a product, a division, a clamp and the cast (~26 ms per
  // 1.3b forward on an H200, reports/bars-h200); the same arithmetic, so the same bits.
  if (x.is_cuda()) {
    const bool per_row = scaling_ == Fp8Scaling::kPerRow;
    auto fused = kernels::fused_fp8_quantize(x, per_row, per_row ? torch::Tensor() : fp8_scales(x, scaling_));
    if (fused.first.defined()) {
      ++fused_quantize_calls_;
      return fused;
    }
  }
#endif
  auto x2 = x.to(torch::kFloat);
  auto sx = fp8_scales(x2, scaling_);
  return {compat::to_float8_e4m3((x2 / sx).clamp(-kE4m3Max, kE4m3Max)).contiguous(), sx};
}

nlohmann::json Fp8LinearStrategy::counters() const {
  return {{"fp8_layers", weights_.size()}, {"unaligned_layers", unaligned_layers_}, {"fp8_calls", fp8_calls_},
          {"fallback_calls", fallback_calls_}, {"fused_quantize_calls", fused_quantize_calls_}};
}

ABLATE_DEFINE_STRATEGY(fp8_linear, Fp8LinearStrategy)

}  // namespace ablate::opt
