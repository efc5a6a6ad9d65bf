#include "optimizations/fused_elementwise.h"

#if defined(ABLATE_CUDA_KERNELS)
#include "optimizations/kernels/fused_ops.h"
#endif

namespace ablate::opt {

StrategyInfo FusedElementwiseStrategy::info() const {
  StrategyInfo i;
  i.name = "fused_elementwise";
  i.description = "DiT block's modulation, gated residuals, camera modulation, q/k RMSNorm and RoPE as fused CUDA kernels (same bits)";
  i.values = {"off", "on"};
  i.tier = Tier::kA;
  i.cuda_only = true;
  return i;
}

#if defined(ABLATE_CUDA_KERNELS)
namespace {

// Counts a fused call, or an eager one when the kernel declined (undefined result).
torch::Tensor counted(torch::Tensor out, int64_t& fused, int64_t& eager) {
  ++(out.defined() ? fused : eager);
  return out;
}

}  // namespace
#endif

void FusedElementwiseStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
#if defined(ABLATE_CUDA_KERNELS)
  auto& k = pipeline.seams().dit_kernels;
  Counts& n = counts_;
  k.modulate = [&n](const torch::Tensor& normed, const torch::Tensor& modulation, const torch::Tensor& e0,
                    int64_t shift, torch::Dtype out) {
    return counted(kernels::fused_modulate(normed, modulation, e0, shift, out), n.modulate, n.eager);
  };
  k.gated_residual = [&n](const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& modulation,
                          const torch::Tensor& e0, int64_t gate) {
    return counted(kernels::fused_gated_residual(x, y, modulation, e0, gate), n.gated_residual, n.eager);
  };
  k.cam_modulate = [&n](const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& shift) {
    return counted(kernels::fused_cam_modulate(x, scale, shift), n.cam_modulate, n.eager);
  };
  k.rms_norm = [&n](const torch::Tensor& x, const torch::Tensor& weight, double eps) {
    return counted(kernels::fused_rms_norm(x, weight, eps), n.rms_norm, n.eager);
  };
  k.rope = [&n](const torch::Tensor& x, const std::array<int64_t, 3>& grid, const torch::Tensor& freqs,
                int64_t start_frame) {
    return counted(kernels::fused_rope(x, grid, freqs, start_frame), n.rope, n.eager);
  };
#else
  (void)pipeline;  // validate() refuses: a build without the kernels has nothing to install
#endif
}

nlohmann::json FusedElementwiseStrategy::counters() const {
  return {{"modulate", counts_.modulate},
          {"gated_residual", counts_.gated_residual},
          {"cam_modulate", counts_.cam_modulate},
          {"rms_norm", counts_.rms_norm},
          {"rope", counts_.rope},
          {"eager_calls", counts_.eager}};
}

std::string FusedElementwiseStrategy::validate(const std::string& value, const RunConfig& config) const {
  if (value == info().values.front()) return "";
#if !defined(ABLATE_CUDA_KERNELS)
  if (config.device.is_cuda())
    return "fused_elementwise needs the hand-written CUDA kernels, and this build has none (no nvcc was found)";
#endif
  return Strategy::validate(value, config);
}

ABLATE_DEFINE_STRATEGY(fused_elementwise, FusedElementwiseStrategy)

}  // namespace ablate::opt
