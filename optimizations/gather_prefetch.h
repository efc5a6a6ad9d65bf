// gather_prefetch: start the next unit's parameter all-gather while the current unit computes
// (same bytes, overlapped). Needs sharded parameters (world > 1, shard != none).
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
