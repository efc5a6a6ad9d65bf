// What `ablate generate` and `ablate profile` share: the flags that describe the pipeline and the
// request, their validation before any work, and building the pipeline with its strategies.
#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/dist/communicator.h"
#include "core/dist/world.h"
#include "core/geometry.h"
#include "core/pipeline.h"
#include "experiments/cli/generate_command.h"
#include "optimizations/strategy.h"

namespace ablate {

struct PipelineSetup {
  PipelineOptions options;
  dist::WorldInfo world;   // rank 0 of 1 unless a launcher set WORLD_SIZE
  GenerateRequest request;
  VideoGeometry geometry;
  opt::RunConfig run_config;
  std::vector<std::pair<std::string, std::unique_ptr<opt::Strategy>>> strategies;  // validated and configured
  std::unique_ptr<dist::Communicator> comm;  // set by connect_ranks() when there are several ranks
};

// Registers the pipeline and request flags (preset, device, size, frames, seeds, dtype, window,
// --set, world/shard options) on `cmd`.
void add_pipeline_flags(CLI::App* cmd, GenerateCommandOptions& o);

// Validates every flag, configures the strategies and determinism; UsageError naming the flag.
PipelineSetup prepare_pipeline(const GenerateCommandOptions& o);

// Meets the other ranks (no-op for one process); the communicator is then in options.comm.
void connect_ranks(PipelineSetup& setup, double collective_timeout_s);

// Builds the pipeline and installs the strategies on it.
std::unique_ptr<Pipeline> build_pipeline(PipelineSetup& setup);

}  // namespace ablate
