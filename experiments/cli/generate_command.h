// `ablate generate`: builds the engine once (or per request, when a strategy asks for it) and runs
// generate() one or more times (the first is the cold run) through the runner's measurement,
// printing geometry, per-phase times, host reads, peak memory and MD5.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

#include "experiments/cli/pipeline_setup.h"

namespace ablate {

struct GenerateCommandOptions {
  PipelineFlags pipeline;
  int64_t runs = 1;
  std::string json_path;
  bool no_phase_timers = false;  // only generate() as a whole is timed
  bool no_gpu_clocks = false;    // no NVML clock sampling around generate()
  std::string save_latents;  // torch::save of rank 0's denoised latents (last run)
  std::string save_video;    // the last run's video as mp4 (H.264, 16 fps)
  std::string save_contact_sheet;  // every 8th frame of the last run's video as one PNG
  // cross-check inputs and outputs (experiments/cli/intermediates.h)
  std::string token_ids;   // .npy of the prompt's token ids instead of the tokenizer
  std::string noise_dir;   // every noise draw from this folder's .npy files
  std::string dump_dir;    // rank 0 writes generate()'s intermediates here
  // fault injection for tests: this rank kills itself (SIGKILL) before the given DiT forward
  int debug_crash_rank = -1;
  int debug_crash_after_forwards = -1;
  // this rank sleeps twice the collective timeout before its collective number N (Communicator)
  int debug_stall_rank = -1;
  int64_t debug_stall_at = -1;
};

// Registers the subcommand's flags on `app`; the options live in `opts`.
CLI::App* add_generate_command(CLI::App& app, GenerateCommandOptions& opts);

// Runs it; returns the process exit code. UsageError propagates (the caller maps it to 2).
int run_generate_command(const GenerateCommandOptions& opts);

}  // namespace ablate
