// vae_conv_padding: the VAE's causal convs pad H and W inside the convolution (cuDNN's or oneDNN's
// own zero padding) instead of materializing a padded copy with F.pad first, as the reference
// does. Every 3x3x3 conv of the encode and decode made that copy (plus its zero fill) of its whole
// input; on one H200 (1.3b, bf16, channels-last) the copies were ~0.1 s of the per-chunk decode.
// Tier B: the same sum of the same products, but the library may pick another algorithm for the
// unpadded shape and sum in another order. Bound as vae_channels_last's: 40 dB.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class VaeConvPaddingStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  int64_t convs_ = 0;  // convs that padded inside the convolution
};

}  // namespace ablate::opt
