#include "optimizations/vae_conv_padding.h"

namespace ablate::opt {

namespace F = torch::nn::functional;

StrategyInfo VaeConvPaddingStrategy::info() const {
  StrategyInfo i;
  i.name = "vae_conv_padding";
  i.description = "VAE causal convs pad H and W inside the convolution, not with a padded copy (F.pad) first";
  i.values = {"off", "on"};
  i.tier = Tier::kB;
  i.min_psnr_db = 40.0;
  return i;
}

void VaeConvPaddingStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  pipeline.seams().vae_kernels.causal_conv = [this](const torch::Tensor& input, const torch::Tensor& weight,
                                                    const torch::Tensor& bias, const std::array<int64_t, 3>& stride,
                                                    const std::array<int64_t, 3>& pad) {
    ++convs_;
    // the missing cached frames are still zeros in front (only before a slot holds two frames)
    const torch::Tensor x = pad[0] > 0 ? F::pad(input, F::PadFuncOptions({0, 0, 0, 0, pad[0], 0})) : input;
    return torch::conv3d(x, weight, bias, {stride[0], stride[1], stride[2]}, {0, pad[1], pad[2]});
  };
}

nlohmann::json VaeConvPaddingStrategy::counters() const { return {{"convs", convs_}}; }

ABLATE_DEFINE_STRATEGY(vae_conv_padding, VaeConvPaddingStrategy)

}  // namespace ablate::opt
