#include "optimizations/strategy.h"

#include "optimizations/registry.h"

namespace ablate::opt {

const char* tier_name(Tier t) { return t == Tier::kA ? "A" : "B"; }

std::string RunConfig::value_of(const std::string& name) const {
  auto it = values.find(name);
  if (it != values.end()) return it->second;
  return strategy_info(name).values.front();
}

bool RunConfig::is_on(const std::string& name) const { return value_of(name) != strategy_info(name).values.front(); }

std::string Strategy::validate(const std::string& value, const RunConfig& config) const {
  const StrategyInfo i = info();
  if (value == i.values.front()) return "";
  if (i.cuda_only && !config.device.is_cuda()) return i.name + " runs only on CUDA devices (this run is on " + config.device.str() + ")";
  if (i.needs_world && config.world_size < 2) return i.name + " needs world size > 1 (this run has " + std::to_string(config.world_size) + ")";
  for (const auto& r : i.requires_on)
    if (!config.is_on(r)) return i.name + " requires " + r;
  for (const auto& c : i.conflicts)
    if (config.is_on(c)) return i.name + " conflicts with " + c;
  return "";
}

void chain_forward_hints(Seams& seams, std::function<void(dit::ForwardArgs&, const ForwardSite&)> hint) {
  auto previous = seams.forward_hints;
  seams.forward_hints = [previous, hint](dit::ForwardArgs& args, const ForwardSite& site) {
    if (previous) previous(args, site);
    hint(args, site);
  };
}

}  // namespace ablate::opt
