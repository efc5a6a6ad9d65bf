// vae_precision: the VAE's encoder and decoder in bf16 or fp16 (weights and activations), encode
// and decode; conv1/conv2 around the latent and the latent normalization stay float32, and the
// latent and video are float32 as before (vae::VaeCompute). The reference runs the VAE in float32:
// tier B. Whether a dtype runs here is probed (a small conv3d, attention matmul and nearest
// upsample in it): LibTorch 1.13 has no fp16 conv3d on the CPU, which validate() says; its strategy
// is CUDA-only in the registry for that reason, while bf16 is measured on the CPU by its test.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class VaePrecisionStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void configure(const std::string& value, PipelineOptions& options) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  // the VAE's dtype in the engine it was installed in (configure() runs on another instance: the
  // engine's build)
  std::string dtype_ = "fp32";
};

// "" when the VAE's ops (conv3d, conv2d, nearest-exact upsample, batched matmul, softmax) run in
// `dtype` on `device`, else the first line of the library's error.
std::string vae_dtype_support(torch::Dtype dtype, torch::Device device);

}  // namespace ablate::opt
