#include "optimizations/gather_prefetch.h"

namespace ablate::opt {

StrategyInfo GatherPrefetchStrategy::info() const {
  StrategyInfo i;
  i.name = "gather_prefetch";
  i.description = "FSDP1 forward_prefetch: issue unit i+1's all-gather when the host reaches unit i";
  i.values = {"off", "on"};
  i.needs_world = true;
  i.affects_build = true;
  return i;
}

std::string GatherPrefetchStrategy::validate(const std::string& value, const RunConfig& config) const {
  const std::string base = Strategy::validate(value, config);
  if (!base.empty() || value == "off") return base;
  if (config.value_of("shard") == "none") return "gather_prefetch needs sharded parameters (shard=none gathers nothing)";
  return "";
}

void GatherPrefetchStrategy::configure(const std::string& value, PipelineOptions& options) const {
  options.prefetch_gathers = value == "on";
}

ABLATE_DEFINE_STRATEGY(gather_prefetch, GatherPrefetchStrategy)

}  // namespace ablate::opt
