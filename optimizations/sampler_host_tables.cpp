#include "optimizations/sampler_host_tables.h"

namespace ablate::opt {

StrategyInfo SamplerHostTablesStrategy::info() const {
  StrategyInfo i;
  i.name = "sampler_host_tables";
  i.description = "sigma and timestep lookups on the host instead of device nonzero().item()";
  i.values = {"off", "on"};
  return i;
}

void SamplerHostTablesStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  pipeline.seams().sampler_host_lookups = value == "on";
}

ABLATE_DEFINE_STRATEGY(sampler_host_tables, SamplerHostTablesStrategy)

}  // namespace ablate::opt
