// A toggleable optimization: what it is, which values it takes, how exact it claims to be, when
// it cannot run (validate -> skip reason), and how it plugs into the core's mechanisms: build
// options (configure) and seams of a built pipeline (install). The core never names a strategy.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "core/pipeline.h"

namespace ablate::opt {

enum class Tier { kA, kB };  // A: bit-identical output; B: approximate within a stated bound
const char* tier_name(Tier t);

struct StrategyInfo {
  std::string name;
  std::string description;           // one line
  std::vector<std::string> values;   // values[0] is the baseline (off)
  Tier tier = Tier::kA;
  std::vector<std::string> requires_on;  // strategies that must be on (not at their baseline value)
  std::vector<std::string> conflicts;    // strategies that must be off
  bool cuda_only = false;
  bool needs_world = false;          // only meaningful with world size > 1
  // Changes how the engine is built or warmed (configure(), prewarm): combinations that differ in
  // it get their own engine, so its cold run is its own.
  bool affects_build = false;
  // `ablate search` may add it to a stack (false for axes that are not optimizations, such as
  // persistent=per_request, the naive server a stack is compared against).
  bool searchable = true;
  // Tier B: the bound the output must stay within against the baseline video (uint8 RGB, peak 255).
  double min_psnr_db = 0;
  int64_t max_abs_u8 = 255;
  // Tier B, measures that hold up where a video PSNR does not (random weights, dark frames): the
  // worst single frame's PSNR (dB) and the relative L2 error of the final latents (|a-b| / |a|).
  double min_frame_psnr_db = 0;
  double max_latent_rel_l2 = 1e9;
};

// The combination being run: strategy name -> value (absent = baseline) and where it runs.
struct RunConfig {
  std::map<std::string, std::string> values;
  torch::Device device = torch::kCPU;
  int world_size = 1;
  std::string value_of(const std::string& name) const;  // "off"-like baseline when absent
  bool is_on(const std::string& name) const;
};

// What install() may use beyond the pipeline: the request the runs will make.
struct InstallContext {
  GenerateRequest request;
  int64_t batch = 1;  // requests per generate() (the workload's batch): warm-ups use that shape
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual StrategyInfo info() const = 0;
  // "" when `value` can run in `config`, else why not (recorded as skipped, never dropped).
  virtual std::string validate(const std::string& value, const RunConfig& config) const;
  // Before the pipeline is built: build-time mechanisms (parameter residency, prefetch, ...).
  virtual void configure(const std::string& value, PipelineOptions& options) const {}
  // After the build, outside timed work: seams, warm-up.
  virtual void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) {}
  // What it did (cache hits, syncs removed, ...), read after the runs.
  virtual nlohmann::json counters() const { return nlohmann::json::object(); }
  // True when `value` asks for the engine to be rebuilt for every request, each sample then timing
  // build + install + generate() (the runner and `ablate generate` both honour it).
  virtual bool rebuilds_engine_per_request(const std::string& value) const { return false; }
  // Requests per generate() that `value` asks for (0: the workload's batch). The runner and
  // `ablate generate` batch that many requests, and a matrix records the time per request.
  virtual int64_t requests_per_generate(const std::string& value) const { return 0; }
};

// Defines the registry's factory of strategy `name` (registry.def) in the strategy's own file.
#define ABLATE_DEFINE_STRATEGY(name, cls) \
  std::unique_ptr<Strategy> make_##name##_strategy() { return std::make_unique<cls>(); }

// Adds `hint` after whatever forward hints are installed already (strategies compose).
void chain_forward_hints(Seams& seams, std::function<void(dit::ForwardArgs&, const ForwardSite&)> hint);

}  // namespace ablate::opt
