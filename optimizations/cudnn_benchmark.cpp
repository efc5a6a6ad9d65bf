#include "optimizations/cudnn_benchmark.h"

namespace ablate::opt {

StrategyInfo CudnnBenchmarkStrategy::info() const {
  StrategyInfo i;
  i.name = "cudnn_benchmark";
  i.description = "cuDNN autotuner on for the VAE's convolutions (encode and decode)";
  i.values = {"off", "on"};
  i.tier = Tier::kB;
  // Bound: another float32 conv algorithm (e.g. Winograd or FFT instead of implicit GEMM) changes
  // roundings near 1e-6 relative, with Winograd's transforms up to ~1e-4; through the decoder that
  // moves rare pixels by one uint8 level, far above 40 dB PSNR (one level everywhere is 48 dB).
  i.min_psnr_db = 40.0;
  i.cuda_only = true;
  return i;
}

std::string CudnnBenchmarkStrategy::validate(const std::string& value, const RunConfig& config) const {
  if (value == info().values.front()) return "";
  if (!config.device.is_cuda()) return "cudnn_benchmark needs a CUDA device (cuDNN's autotuner)";
  return Strategy::validate(value, config);
}

void CudnnBenchmarkStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  pipeline.seams().vae_cudnn_benchmark = true;
}

ABLATE_DEFINE_STRATEGY(cudnn_benchmark, CudnnBenchmarkStrategy)

}  // namespace ablate::opt
