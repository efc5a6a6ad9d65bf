// An engine: a pipeline built from a workload and the build-affecting strategy values, with the
// strategies of each combination it serves installed in their own slot (their seams kept per slot
// and put back on the pipeline before that combination's generate()). `ablate generate`,
// `ablate profile` and the runner all build through it.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/pipeline.h"
#include "experiments/runner/workload.h"
#include "optimizations/strategy.h"

namespace ablate {

using StrategyValues = std::map<std::string, std::string>;

// One combination's strategy objects; they keep their state (cache counters) for the whole run.
struct InstalledStrategies {
  std::vector<std::pair<std::string, std::unique_ptr<opt::Strategy>>> strategies;
  Seams seams;  // the pipeline's seams after install()
  double install_ms = 0;
  nlohmann::json counters() const;
};

// True when a strategy among `values` asks for the engine to be rebuilt for every request.
bool rebuilds_engine_per_request(const StrategyValues& values);

class Engine {
 public:
  // `build_values`: the values whose configure() shapes the build (every value of the group's
  // combinations that affects the build; the others' configure() does nothing).
  Engine(Workload workload, torch::Device device, dist::Communicator* comm, StrategyValues build_values);

  // Builds the pipeline (again: the old one and every slot's strategies are dropped first);
  // returns its duration in ms.
  double build();
  // Creates `values`' strategies, installs them in registry order on default seams and keeps them
  // in `slot` (replacing what it held). Returns them.
  InstalledStrategies& install(size_t slot, const StrategyValues& values, const GenerateRequest& request);
  // Puts `slot`'s seams on the pipeline.
  void use(size_t slot);
  InstalledStrategies& installed(size_t slot) { return *slots_.at(slot); }
  // Whether `slot` holds strategies (a rebuild drops every slot).
  bool has(size_t slot) const { return slot < slots_.size() && slots_[slot] != nullptr; }

  bool built() const { return pipeline_ != nullptr; }
  Pipeline& pipeline() { return *pipeline_; }
  void reset();  // frees the pipeline and the strategies

 private:
  Workload workload_;
  torch::Device device_;
  dist::Communicator* comm_;
  StrategyValues build_values_;
  std::unique_ptr<Pipeline> pipeline_;
  std::vector<std::unique_ptr<InstalledStrategies>> slots_;
};

}  // namespace ablate
