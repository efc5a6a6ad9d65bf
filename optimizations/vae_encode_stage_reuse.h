// vae_encode_stage_reuse: the first-frame encode runs the VAE encoder over [image, F-1 zero
// frames], group by group. A stage of the encoder (conv1, a residual block, a resample, the middle,
// the head) is a function of its input and its own cache slots alone. Once both are bitwise what
// they were in the previous group, the stage's output is that group's output and its slots stay
// as they are: the stage is at its own fixed point. With zero frames coming in, the early,
// full-resolution stages get there after a few groups, because their causal caches only reach
// back a few frames. The deep stages come last, and the whole encoder only at zero group 29
// (vae_encode_fixed_point).
//
// Why it pays: most of the encode's FLOPs are in the full-resolution and half-resolution stages
// at the full frame rate, exactly the ones that settle first. Each check is one counted device
// read (HostReadSite::kOther), made only for the first stage not yet reused in a group. Tier A.
#pragma once
#include <map>

#include "optimizations/strategy.h"

namespace ablate::opt {

// What the executors of one strategy did, over all encodes.
struct StageReuseCounts {
  int64_t encodes = 0;
  int64_t stages_run = 0, stages_reused = 0;
  int64_t checks = 0;  // comparisons that needed a device read
  // The last encode's first reused group (the encoder call's index in that encode) per stage name;
  // absent: never reused.
  std::map<std::string, int64_t> first_reused_group;
};

// A fresh executor for one encode: reuses a stage's previous output where its input and cache
// slots are bitwise those of the previous group it ran in.
vae::EncoderStageExecutor make_stage_reuse_executor(StageReuseCounts& counts);

class VaeEncodeStageReuseStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  StageReuseCounts counts_;
};

}  // namespace ablate::opt
