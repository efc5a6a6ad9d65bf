// `ablate profile`: builds the pipeline as `generate` does, runs one warm-up generate(), then one
// generate() whose chunks A..B sit inside the CUDA profiler's capture range (cudaProfilerStart at
// the start of chunk A, cudaProfilerStop at the end of chunk B). Prints the nsys and ncu command
// lines that record exactly that window, with NVTX filters on the "ablate" domain. With --trace it
// also writes a Chrome/Perfetto trace of the window: Kineto's (kernels and Ablate's ranges) where
// LibTorch has Kineto, else Ablate's own ranges and phases.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/geometry.h"
#include "experiments/cli/pipeline_setup.h"

namespace ablate {

struct ProfileCommandOptions {
  PipelineFlags pipeline;           // the workload and strategy flags of `generate`
  std::string chunks;               // "A-B" or "A"; default: the last chunk
  std::string trace;                // --trace FILE.json: Trace Event Format JSON of the window
  std::vector<std::string> argv;    // this process's command line, repeated in the printed commands
};

struct ChunkWindow {
  int64_t first = 0, last = 0;
};

// Parses --chunks against the geometry; UsageError naming the flag and the valid range.
ChunkWindow parse_chunk_window(const std::string& text, const VideoGeometry& geometry);

// The profiler command lines for re-running `argv` under nsys / ncu with the window's capture range.
std::vector<std::string> profiler_command_lines(const std::vector<std::string>& argv, const ChunkWindow& window);

CLI::App* add_profile_command(CLI::App& app, ProfileCommandOptions& opts);

// Returns the process exit code; UsageError propagates (the caller maps it to 2).
int run_profile_command(const ProfileCommandOptions& opts);

}  // namespace ablate
