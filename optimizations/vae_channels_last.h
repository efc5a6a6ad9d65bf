// vae_channels_last: the VAE's conv weights and the encoder's/decoder's input in channels_last_3d
// (channels_last for the 2-D resample convs), so cuDNN and oneDNN pick NDHWC kernels instead of
// transposing around each conv. Same arithmetic in principle; whether the kernels round the same
// is measured: tests/vae_fast_paths_test.cpp checks the CPU (tier declared from it), the GPU is for
// the lead to confirm (registry_cuda_test.cpp holds it to the same tier).
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class VaeChannelsLastStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void configure(const std::string& value, PipelineOptions& options) const override;
};

}  // namespace ablate::opt
