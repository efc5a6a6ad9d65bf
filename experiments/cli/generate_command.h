// `ablate generate`: builds the core pipeline once and runs generate() one or more times (the
// first is the cold run), printing geometry, per-phase times, host reads, peak memory and MD5.
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace ablate {

struct GenerateCommandOptions {
  std::string preset = "tiny";
  std::string device = "cpu";
  std::string size;  // default: the preset's
  int64_t height = 0, width = 0;
  int64_t frames = 81;
  int64_t seed = 42;
  int64_t weight_seed = 0;
  std::string prompt;
  std::string dtype;  // default: fp32 on cpu, bf16 on cuda
  int64_t runs = 1;
  int64_t local_attn_size = -1;
  int64_t sink_size = 0;
  bool offload_text_encoder = false;
  std::string json_path;
  std::string save_latents;
  std::vector<std::string> strategies;  // name=value, from --set  // torch::save of rank 0's denoised latents (last run)
  // multi-process (under `ablate launch`, torchrun, srun/mpirun with the variables mapped)
  int world_size = 0;            // 0: from WORLD_SIZE; else must equal it
  std::string shard = "full";    // parameter residency: full | grad_op | none
  bool prefetch_gathers = false;
  double collective_timeout_s = 300;
  // fault injection for tests: this rank kills itself (SIGKILL) before the given DiT forward
  int debug_crash_rank = -1;
  int debug_crash_after_forwards = -1;
};

// Registers the subcommand's flags on `app`; the options live in `opts`.
CLI::App* add_generate_command(CLI::App& app, GenerateCommandOptions& opts);

// Runs it; returns the process exit code. UsageError propagates (the caller maps it to 2).
int run_generate_command(const GenerateCommandOptions& opts);

}  // namespace ablate
