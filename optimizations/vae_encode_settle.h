// vae_encode_settle: the first-frame encode runs the VAE encoder over [image, F-1 zero frames], the
// zero frames in groups of 4, each group's causal feature caches fed by the last. The caches
// approach their zero-input fixed point geometrically (on the tiny preset their relative change
// shrinks ~0.75x per group: 0.27 after zero group 6, 0.03 after 13, 0.007 after 16) but reach it
// bitwise only at zero group 29, so vae_encode_fixed_point never fires at 81 frames (20 zero
// groups). This strategy reuses the previous group's latent for every
// remaining zero group once the caches have *nearly* settled: the relative L2 change of all cache
// tensors over the last group at most the value (one counted device read per check).
//
// Tier B. Past the check the true latents keep moving by less than the last cache step, shrinking
// geometrically, so the reused latents differ from the true ones by a small multiple of the
// tolerance (relative): the conditioning of the zero frames only, the image frame stays exact.
// Measured on tiny (81 frames): 3e-2 reuses 7 of 21 groups, final latents 0.97 % relative L2, video
// 55.2 dB, worst frame 47.7 dB; 1e-1 (not offered) would reuse 10 at 3.8 % and 43.5 dB.
// Bound: final latents within 2 % relative L2, the video above 35 dB PSNR and every frame above
// 30 dB. The gate measures each run: random weights settle at their own rate, a trained VAE at its.
// Where it pays: the encode of every `unique` request (image_cache cannot hit there): 1.08 s of a
// 1.3b generate() in bf16 on an H200 (reports/fused-elementwise-h200).
#pragma once
#include "optimizations/vae_encode_fixed_point.h"

namespace ablate::opt {

class VaeEncodeSettleStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  double tolerance_ = 0;
  EncodeReuseCounts counts_;
  double last_change_ = -1;  // the last check's relative cache change
};

// The relative L2 change between two feature-cache states, sqrt(sum |a - b|^2 / sum |b|^2) over
// their tensor slots, or -1 when their slot states, shapes or dtypes differ (not comparable). One
// counted host read (HostReadSite::kOther) when there are tensors to compare.
double feature_cache_relative_change(const std::vector<vae::CacheSlot>& a, const std::vector<vae::CacheSlot>& b);

}  // namespace ablate::opt
