// gather_prefetch: FSDP1's forward_prefetch. Under the baseline's FSDP1 semantics a unit's
// all-gather is already issued on the gather stream when the host reaches the unit, overlapping
// the earlier units still on the compute stream; with forward_prefetch the host, on reaching unit
// i, also issues unit i+1's gather, one unit earlier (still behind FSDP1's rate limiter of two
// gathered units in flight). Same bytes, same count. Needs sharded parameters (world > 1,
// shard != none).
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class GatherPrefetchStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void configure(const std::string& value, PipelineOptions& options) const override;
};

}  // namespace ablate::opt
