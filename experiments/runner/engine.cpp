#include "experiments/runner/engine.h"

#include <chrono>

#include "experiments/common/elapsed.h"
#include "experiments/runner/combinations.h"
#include "optimizations/registry.h"

namespace ablate {

nlohmann::json InstalledStrategies::counters() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, s] : strategies) {
    auto c = s->counters();
    if (!c.empty()) j[name] = c;
  }
  return j;
}

bool rebuilds_engine_per_request(const StrategyValues& values) {
  for (const auto& [name, value] : values)
    if (opt::make_strategy(name)->rebuilds_engine_per_request(value)) return true;
  return false;
}

Engine::Engine(Workload workload, torch::Device device, dist::Communicator* comm, StrategyValues build_values)
    : workload_(std::move(workload)), device_(device), comm_(comm), build_values_(std::move(build_values)) {}

double Engine::build() {
  reset();
  const auto t0 = std::chrono::steady_clock::now();
  PipelineOptions options = pipeline_options(workload_, device_, comm_);
  for (const auto& [name, value] : build_values_) opt::make_strategy(name)->configure(value, options);
  pipeline_ = std::make_unique<Pipeline>(options);
  return ms_since(t0);
}

InstalledStrategies& Engine::install(size_t slot, const StrategyValues& values, const GenerateRequest& request) {
  if (slots_.size() <= slot) slots_.resize(slot + 1);
  slots_[slot].reset();  // the old strategies (their graph pools, caches) go before new ones are made
  auto out = std::make_unique<InstalledStrategies>();
  const auto t0 = std::chrono::steady_clock::now();
  pipeline_->seams() = Seams{};
  opt::InstallContext ctx{request, requests_per_generate(workload_, values)};
  for (const auto& name : opt::strategy_names()) {  // registry order: installs compose the same way every time
    auto it = values.find(name);
    if (it == values.end()) continue;
    auto s = opt::make_strategy(name);
    s->install(it->second, *pipeline_, ctx);
    out->strategies.emplace_back(name, std::move(s));
  }
  out->seams = pipeline_->seams();
  out->install_ms = ms_since(t0);
  slots_[slot] = std::move(out);
  return *slots_[slot];
}

void Engine::use(size_t slot) { pipeline_->seams() = slots_.at(slot)->seams; }

void Engine::reset() {
  slots_.clear();  // strategies first: their seams may hold graphs on the pipeline's memory
  pipeline_.reset();
}

}  // namespace ablate
