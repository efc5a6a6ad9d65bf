#include "optimizations/vae_channels_last.h"

namespace ablate::opt {

StrategyInfo VaeChannelsLastStrategy::info() const {
  StrategyInfo i;
  i.name = "vae_channels_last";
  i.description = "VAE conv weights and activations in channels_last_3d memory format";
  i.values = {"off", "on"};
  i.tier = Tier::kA;  // measured on the CPU (LibTorch 1.13, oneDNN): bit-identical; GPU to confirm
  i.affects_build = true;  // the weights are laid out when the engine is built
  return i;
}

void VaeChannelsLastStrategy::configure(const std::string& value, PipelineOptions& options) const {
  options.vae_compute.channels_last = value == "on";
}

ABLATE_DEFINE_STRATEGY(vae_channels_last, VaeChannelsLastStrategy)

}  // namespace ablate::opt
