// vae_fused_norm: the VAE's channel RMS norm and the SiLU after it as one CUDA kernel
// (optimizations/kernels/vae_norm_kernels.cu). Eager, F.normalize is a norm reduction, a clamp, a
// broadcast division, then the sqrt(C) and gamma multiplies and the SiLU: six passes over a
// [C, T, H, W] activation through TensorIterator's strided (non-vectorized) paths once the VAE is
// channels-last. Fused it is one read for the norm and one read + write for the output. On one
// H200 (1.3b, bf16, channels-last, reports/vae-kernels-h200) these ops were ~0.2 s of the ~1.2 s
// per-chunk decode.
// Tier B: the norm's sum runs in another order, and the kernel rounds once where the eager chain
// rounds after every op (in bf16 that is more accurate, not less). Bound: as vae_channels_last's,
// reorderings of float sums that flip rare pixels by a level: 40 dB.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class VaeFusedNormStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  int64_t fused_ = 0, eager_ = 0;  // kernel launches; calls left to the eager ops (other layouts or dtypes)
};

}  // namespace ablate::opt
