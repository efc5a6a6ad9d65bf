// vae_channels_last: the VAE's conv weights and the encoder's/decoder's input in channels_last_3d
// (channels_last for the 2-D resample convs), so cuDNN and oneDNN pick NDHWC kernels instead of
// transposing around each conv. Same arithmetic, but the NDHWC kernels sum in another order: on
// the CPU (LibTorch 1.13) the video is not bit-identical, so tier B with a bound
// (tests/vae_channels_last_test.cpp); registry_cuda_test.cpp holds the GPU to the same bound.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class VaeChannelsLastStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void configure(const std::string& value, PipelineOptions& options) const override;
};

}  // namespace ablate::opt
