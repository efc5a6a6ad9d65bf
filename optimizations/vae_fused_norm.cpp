#include "optimizations/vae_fused_norm.h"

#if defined(ABLATE_CUDA_KERNELS)
#include "optimizations/kernels/fused_ops.h"
#endif

namespace ablate::opt {

StrategyInfo VaeFusedNormStrategy::info() const {
  StrategyInfo i;
  i.name = "vae_fused_norm";
  i.description = "VAE channel RMS norm + SiLU as one CUDA kernel (float32 arithmetic, one rounding)";
  i.values = {"off", "on"};
  i.tier = Tier::kB;
  i.min_psnr_db = 40.0;
  i.cuda_only = true;
  return i;
}

std::string VaeFusedNormStrategy::validate(const std::string& value, const RunConfig& config) const {
  if (value == info().values.front()) return "";
#if !defined(ABLATE_CUDA_KERNELS)
  if (config.device.is_cuda())
    return "vae_fused_norm needs the hand-written CUDA kernels, and this build has none (no nvcc was found)";
#endif
  return Strategy::validate(value, config);
}

void VaeFusedNormStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
#if defined(ABLATE_CUDA_KERNELS)
  pipeline.seams().vae_kernels.norm_silu = [this](const torch::Tensor& x, const torch::Tensor& gamma,
                                                  const torch::Tensor& bias, double scale, bool silu) {
    torch::Tensor out = kernels::fused_vae_norm_silu(x, gamma, bias, scale, silu);
    ++(out.defined() ? fused_ : eager_);
    return out;
  };
#else
  (void)pipeline;  // validate() refuses: a build without the kernels has nothing to install
#endif
}

nlohmann::json VaeFusedNormStrategy::counters() const { return {{"fused", fused_}, {"eager_calls", eager_}}; }

ABLATE_DEFINE_STRATEGY(vae_fused_norm, VaeFusedNormStrategy)

}  // namespace ablate::opt
