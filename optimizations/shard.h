// shard (PR #52): parameter residency of the sharded units. full = FULL_SHARD (gather before,
// free after every unit; the baseline), grad_op = SHARD_GRAD_OP (keep after the first gather),
// none = NO_SHARD (never sharded). Only meaningful with world size > 1.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class ShardStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void configure(const std::string& value, PipelineOptions& options) const override;
};

}  // namespace ablate::opt
