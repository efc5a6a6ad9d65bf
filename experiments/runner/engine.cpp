#include "experiments/runner/engine.h"

#include <chrono>

#include "core/config.h"
#include "optimizations/registry.h"

namespace ablate {

PipelineOptions pipeline_options(const Workload& w, torch::Device device, dist::Communicator* comm) {
  PipelineOptions o;
  o.model = preset(w.preset);
  o.device = device;
  o.precision = Precision::for_name(Precision::resolve_name(w.dtype, device));
  o.weight_seed = static_cast<uint64_t>(w.weight_seed);
  o.offload_text_encoder = w.offload_text_encoder;
  o.comm = comm;
  return o;
}

GenerateRequest make_request(const Workload& w, int world_size, int64_t unique_index) {
  GenerateRequest r;
  if (!w.prompt.empty()) r.prompt = w.prompt;
  if (unique_index >= 0) r.prompt += " (request " + std::to_string(unique_index) + ")";
  r.seed = static_cast<uint64_t>(w.seed);
  r.geometry.size = w.size.empty() && w.height == 0 && w.width == 0 ? preset(w.preset).default_size : w.size;
  r.geometry.height = w.height;
  r.geometry.width = w.width;
  r.geometry.frames = w.frames;
  r.geometry.world_size = world_size;
  return r;
}

nlohmann::json InstalledStrategies::counters() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, s] : strategies) {
    auto c = s->counters();
    if (!c.empty()) j[name] = c;
  }
  return j;
}

void configure_strategies(const std::map<std::string, std::string>& values, PipelineOptions& options) {
  for (const auto& [name, value] : values) opt::make_strategy(name)->configure(value, options);
}

InstalledStrategies install_strategies(const std::map<std::string, std::string>& values, Pipeline& pipeline,
                                       const GenerateRequest& request) {
  InstalledStrategies out;
  const auto t0 = std::chrono::steady_clock::now();
  pipeline.seams() = Seams{};
  opt::InstallContext ctx{request};
  for (const auto& name : opt::strategy_names()) {  // registry order: installs compose the same way every time
    auto it = values.find(name);
    if (it == values.end()) continue;
    auto s = opt::make_strategy(name);
    s->install(it->second, pipeline, ctx);
    out.strategies.emplace_back(name, std::move(s));
  }
  out.seams = pipeline.seams();
  out.install_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

}  // namespace ablate
