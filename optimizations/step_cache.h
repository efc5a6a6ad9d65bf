// step_cache: first-block residual caching (FBCache / TeaCache style). Each DiT forward runs block
// 0; when its output moved by less than `threshold` (relative L1) since the last fully computed
// step of the same chunk, blocks 1..n-1 are skipped and their cached residual (last block's output
// minus block 0's, from that step) is added instead. The refresh forward (which writes the clean
// K/V later chunks read) always runs in full; the decision is a host read (a counted sync).
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

// The decision's measure: mean |now - before| / mean |before| over every element.
torch::Tensor relative_l1(const torch::Tensor& now, const torch::Tensor& before);

class StepCacheStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

  int64_t forwards_skipped() const { return skipped_; }
  int64_t forwards_checked() const { return checked_; }

 private:
  double threshold_ = 0;
  int64_t blocks_ = 0;
  ForwardSite site_;                 // the forward being run (from the forward hints)
  int64_t cached_chunk_ = -1;        // chunk whose computed step the cache holds (-1: none)
  torch::Tensor first_out_, residual_;  // block 0's output and (last - first) of that step
  int64_t skipped_ = 0, checked_ = 0, generates_ = 0;
  double change_min_ = 0, change_max_ = 0, change_sum_ = 0;  // block 0's relative L1 change, checked steps
};

}  // namespace ablate::opt
