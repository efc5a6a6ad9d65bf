// What `ablate generate` and `ablate profile` share: the flags that describe the workload and the
// strategies (mapped onto the same Workload and strategy values a matrix spec gives), their
// validation before any work, and the engine built from them the way the runner builds one.
#pragma once
#include <CLI/CLI.hpp>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/dist/communicator.h"
#include "core/dist/world.h"
#include "experiments/runner/engine.h"
#include "experiments/runner/memory_preflight.h"
#include "experiments/runner/workload.h"

namespace ablate {

struct PipelineFlags {
  Workload workload;
  std::vector<std::string> sets;  // --set name=value
  std::string shard;              // --shard X: exactly --set shard=X
  bool prefetch_gathers = false;  // --prefetch-gathers: exactly --set gather_prefetch=on
  int world_size = 0;             // 0: from WORLD_SIZE; else must equal it
  bool no_preflight = false;      // --no-preflight: run even when the memory estimate does not fit
};

struct PipelineSetup {
  Workload workload;
  StrategyValues values;
  dist::WorldInfo world;   // rank 0 of 1 unless a launcher set WORLD_SIZE
  torch::Device device = torch::kCPU;
  VideoGeometry geometry;
  GenerateInputs inputs;                     // the workload's input files, read once
  bool per_request = false;                  // a strategy asks for a rebuilt engine per request
  std::unique_ptr<dist::Communicator> comm;  // set by connect_ranks() when there are several ranks
  std::unique_ptr<Engine> engine;            // set by build_engine()
  MemoryEstimate memory;                     // this rank's memory preflight estimate
  std::string memory_line;                   // "memory estimate: ..." for the header
  int64_t rss_before_bytes = 0;              // the process's RSS before the build (CPU: the growth's base)
};

// A CLI11 check that the flag's text is an integer within [lo, hi] (CLI11 2.1 converts
// out-of-range text without complaint), naming the range.
CLI::Validator integer_in(int64_t lo, int64_t hi);
// The same for a finite number within [lo, hi] (nan and inf refused).
CLI::Validator number_in(double lo, double hi);
// The largest 64-bit signed integer, the top of seed ranges.
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

// Registers the workload and strategy flags (preset, device, size, frames, seeds, dtype, window,
// --set and its aliases, world options) on `cmd`.
void add_pipeline_flags(CLI::App* cmd, PipelineFlags& flags);

// Validates every flag and strategy value (the same parser and checks as a matrix spec), sets
// the determinism flags, runs the memory preflight; UsageError naming the flag.
PipelineSetup prepare_pipeline(const PipelineFlags& flags);

// Meets the other ranks (no-op for one process).
void connect_ranks(PipelineSetup& setup);

// Builds the engine and installs the strategies; returns the build + install ms.
double build_engine(PipelineSetup& setup);

// Request `index` of the setup's workload, with its input files as loaded.
GenerateRequest setup_request(const PipelineSetup& setup, int64_t index);

}  // namespace ablate
