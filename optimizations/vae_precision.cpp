#include "optimizations/vae_precision.h"

namespace ablate::opt {

std::string vae_dtype_support(torch::Dtype dtype, torch::Device device) {
  torch::NoGradGuard no_grad;
  try {
    const auto o = torch::TensorOptions().dtype(dtype).device(device);
    auto x = torch::ones({1, 2, 3, 4, 4}, o);
    auto y = torch::conv3d(x, torch::ones({2, 2, 3, 3, 3}, o), torch::ones({2}, o), 1, 1);
    auto f = y.select(2, 0);  // [1, 2, 4, 4]
    f = torch::_upsample_nearest_exact2d(f.to(torch::kFloat), {8, 8}, 2.0, 2.0).to(dtype);  // as Resample does
    f = torch::conv2d(f, torch::ones({2, 2, 3, 3}, o), torch::ones({2}, o), 1, 1);
    auto q = f.flatten(2).transpose(1, 2);  // [1, 64, 2]
    auto a = torch::softmax(torch::matmul(q, q.transpose(1, 2)), -1);
    (void)torch::matmul(a, q).sum().item<float>();
    return "";
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    return msg.substr(0, msg.find('\n'));
  }
}

namespace {

torch::Dtype vae_dtype_of(const std::string& value) {
  return value == "fp16" ? torch::kHalf : value == "bf16" ? torch::kBFloat16 : torch::kFloat;
}

}  // namespace

StrategyInfo VaePrecisionStrategy::info() const {
  StrategyInfo i;
  i.name = "vae_precision";
  i.description = "VAE encoder and decoder in bf16 or fp16 (latent and video stay float32)";
  i.values = {"off", "bf16", "fp16"};
  i.tier = Tier::kB;
  // Bound: the VAE's 8-bit (bf16) or 11-bit (fp16) mantissas round every conv output; RMS_norm
  // after each conv keeps the relative error from compounding, so the decoded video moves by a few
  // uint8 levels at most in smooth regions. 30 dB PSNR (mean squared error ~65 levels^2) leaves
  // room below what tiny bf16 measures on the CPU: 49.0 dB, max 5 levels (tests/vae_precision_test.cpp).
  i.min_psnr_db = 30.0;
  i.affects_build = true;  // the weights are cast when the engine is built
  // LibTorch 1.13 has no fp16 conv3d on the CPU, so the registry's CPU equivalence test cannot run
  // every value there; bf16 does run on the CPU and tests/vae_precision_test.cpp measures it
  i.cuda_only = true;
  return i;
}

std::string VaePrecisionStrategy::validate(const std::string& value, const RunConfig& config) const {
  if (value == info().values.front()) return "";
  const std::string why = vae_dtype_support(vae_dtype_of(value), config.device);
  if (!why.empty()) return "vae_precision=" + value + " does not run on " + config.device.str() + " here: " + why;
  return Strategy::validate(value, config);
}

void VaePrecisionStrategy::configure(const std::string& value, PipelineOptions& options) const {
  options.vae_compute.dtype = vae_dtype_of(value);
}

void VaePrecisionStrategy::install(const std::string&, Pipeline& pipeline, const InstallContext&) {
  const torch::Dtype d = pipeline.vae()->compute().dtype;
  dtype_ = d == torch::kHalf ? "fp16" : d == torch::kBFloat16 ? "bf16" : "fp32";
}

nlohmann::json VaePrecisionStrategy::counters() const { return {{"vae_dtype", dtype_}}; }

ABLATE_DEFINE_STRATEGY(vae_precision, VaePrecisionStrategy)

}  // namespace ablate::opt
