#include "optimizations/shard.h"

namespace ablate::opt {

StrategyInfo ShardStrategy::info() const {
  StrategyInfo i;
  i.name = "shard";
  i.description = "parameter residency: full (FULL_SHARD), grad_op (keep after first gather, PR #52), none";
  i.values = {"full", "grad_op", "none"};
  i.needs_world = true;
  i.affects_build = true;
  return i;
}

void ShardStrategy::configure(const std::string& value, PipelineOptions& options) const {
  options.residency = value == "grad_op" ? dist::Residency::kKeepGathered
                      : value == "none"  ? dist::Residency::kReplicated
                                         : dist::Residency::kFullShard;
}

ABLATE_DEFINE_STRATEGY(shard, ShardStrategy)

}  // namespace ablate::opt
