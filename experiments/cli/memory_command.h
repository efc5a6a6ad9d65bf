// `ablate memory`: the memory preflight's estimate without running anything: one workload's
// breakdown (--preset, --world, --shard, ...), or with --table the README's table of expected
// peak memory per preset, world size and shard residency.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ablate {

struct MemoryCommandOptions {
  std::string preset = "14b";
  std::string device = "cuda";  // the estimate's device kind; nothing runs, so no GPU is needed
  std::string dtype, size;
  int64_t frames = 81;
  int world = 1, rank = 0;
  std::vector<std::string> sets;  // --set name=value (shard, gather_prefetch, cuda_graph, ...)
  bool offload_text_encoder = false;
  bool table = false;
};

CLI::App* add_memory_command(CLI::App& app, MemoryCommandOptions& o);
int run_memory_command(const MemoryCommandOptions& o);

}  // namespace ablate
