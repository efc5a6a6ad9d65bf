// `ablate export-checkpoint --preset P --out DIR`: the seeded weights of a preset written in the
// reference's checkpoint layout and dtypes (T5 and DiT bf16, VAE fp32; core/io/checkpoint.h), so
// that a run with --checkpoint-dir DIR --dtype bf16 reproduces the seeded run's MD5, and the
// Python reference can load the same weights.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace ablate {

struct ExportCommandOptions {
  std::string preset = "tiny";
  std::string out;
  int64_t weight_seed = 0;
  int64_t max_shard_bytes = 10'000'000'000;  // DiT safetensors shards (diffusers' default is 10 GB)
  std::string seed_device = "auto";  // where the seeded values are computed: auto (a GPU when there is one), cpu, cuda
};

CLI::App* add_export_command(CLI::App& app, ExportCommandOptions& opts);
int run_export_command(const ExportCommandOptions& opts);

}  // namespace ablate
