// sampler_host_tables: the sampler's sigma lookups (x0 conversion, re-noise index) on the host
// tables instead of the reference's device argmin / nonzero().item(): 49 device reads per
// 81-frame generate() -> 0, same float values.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class SamplerHostTablesStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
};

}  // namespace ablate::opt
