#include "optimizations/vae_channels_last.h"

namespace ablate::opt {

StrategyInfo VaeChannelsLastStrategy::info() const {
  StrategyInfo i;
  i.name = "vae_channels_last";
  i.description = "VAE conv weights and activations in channels_last_3d memory format";
  i.values = {"off", "on"};
  // Measured on the CPU (LibTorch 1.13, oneDNN): not bit-identical (the NDHWC kernels sum in
  // another order), so tier B. Bound: float32 reorderings move values by ~1e-7 relative, which
  // through the decoder flips rare pixels by one uint8 level: PSNR far above 40 dB (one level on
  // every pixel is 48 dB); tiny on the CPU measures 93.8 dB, max 1 level (vae_channels_last_test.cpp).
  i.tier = Tier::kB;
  i.min_psnr_db = 40.0;
  i.affects_build = true;  // the weights are laid out when the engine is built
  return i;
}

void VaeChannelsLastStrategy::configure(const std::string& value, PipelineOptions& options) const {
  options.vae_compute.channels_last = value == "on";
}

ABLATE_DEFINE_STRATEGY(vae_channels_last, VaeChannelsLastStrategy)

}  // namespace ablate::opt
