#include "experiments/cli/memory_command.h"

#include <cstdio>
#include <iostream>

#include "core/error.h"
#include "experiments/cli/pipeline_setup.h"
#include "experiments/runner/assignment.h"
#include "experiments/runner/combinations.h"
#include "experiments/runner/memory_preflight.h"

namespace ablate {

namespace memory_command_detail {

Workload command_workload(const MemoryCommandOptions& o, const std::string& preset_name) {
  Workload w;
  w.preset = preset_name;
  w.device = o.device;
  w.dtype = o.dtype;
  w.size = o.size;
  w.frames = o.frames;
  w.offload_text_encoder = o.offload_text_encoder;
  return w;
}

torch::Device estimate_device(const std::string& name) {
  ABLATE_USAGE_CHECK(name == "cpu" || name == "cuda", "--device ", name, ": expected cpu or cuda");
  return name == "cpu" ? torch::Device(torch::kCPU) : torch::Device(torch::kCUDA, 0);
}

void print_one(const MemoryCommandOptions& o) {
  const StrategyValues values = parse_assignments(o.sets, "--set");
  // batched_requests: the batch's memory, as generate would run it
  const Workload w = with_requests_per_generate(command_workload(o, o.preset), values);
  check_workload(w, o.world, flag_field_name());
  const auto device = estimate_device(o.device);
  const auto e = estimate_workload_memory(w, values, device, o.world, o.rank);
  const auto& items = e.cuda ? e.device : e.host;
  std::cout << "preset " << w.preset << ", world " << o.world << ", rank " << o.rank << ", " << o.device
            << ": peak " << gib_text(e.cuda ? e.device_bytes : e.host_bytes) << " at " << e.peak_phase << "\n";
  for (const auto& i : items) std::cout << "  " << i.name << ": " << gib_text(i.bytes) << "\n";
  if (e.cuda) std::cout << "host: " << e.host_summary(8) << "\n";
}

void print_table(const MemoryCommandOptions& o) {
  std::cout << "| preset | world | shard | rank 0 peak (GiB) | rank 1 peak (GiB) | host (GiB) |\n"
            << "|---|---:|---|---:|---:|---:|\n";
  for (const std::string p : {"1.3b", "14b"}) {
    const Workload w = command_workload(o, p);
    for (int world : {1, 2, 4, 8}) {
      for (const std::string shard : {"full", "grad_op", "none"}) {
        if (world == 1 && shard != "full") continue;
        StrategyValues values;
        if (shard != "full") values["shard"] = shard;
        const auto device = estimate_device(o.device);
        const auto r0 = estimate_workload_memory(w, values, device, world, 0);
        const auto r1 = estimate_workload_memory(w, values, device, world, 1);
        char row[160];
        char other[32] = "-";
        if (world > 1) std::snprintf(other, sizeof(other), "%.1f", static_cast<double>(r1.device_bytes) / (1 << 30));
        std::snprintf(row, sizeof(row), "| %s | %d | %s | %.1f | %s | %.1f |\n", p.c_str(), world,
                      world == 1 ? "-" : shard.c_str(), static_cast<double>(r0.device_bytes) / (1 << 30), other,
                      static_cast<double>(r0.host_bytes) / (1 << 30));
        std::cout << row;
      }
    }
  }
}

}  // namespace memory_command_detail

CLI::App* add_memory_command(CLI::App& app, MemoryCommandOptions& o) {
  auto* cmd = app.add_subcommand("memory", "Estimate a workload's peak memory per rank (nothing runs); --table: "
                                           "the README's table per preset, world and shard");
  cmd->add_option("--preset", o.preset, "Model preset: tiny, 1.3b, 14b")->capture_default_str();
  cmd->add_option("--device", o.device, "The device kind to estimate for: cuda or cpu")->capture_default_str();
  cmd->add_option("--dtype", o.dtype, "fp32 or bf16 (default: fp32 on cpu, bf16 on cuda)");
  cmd->add_option("--size", o.size, "Max-area size H*W (default: the preset's)");
  cmd->add_option("--frames", o.frames, "Pixel frames, 4n+1")->capture_default_str()->check(integer_in(1, 100001));
  cmd->add_option("--world", o.world, "Ranks (sequence parallel, sharded parameters)")
      ->capture_default_str()->check(integer_in(1, 4096));
  cmd->add_option("--rank", o.rank, "Which rank (0 decodes the video)")->capture_default_str()->check(integer_in(0, 4095));
  cmd->add_option("--set", o.sets, "Strategy values: name=value (shard, gather_prefetch, cuda_graph, ...)");
  cmd->add_flag("--offload-text-encoder", o.offload_text_encoder, "Text encoder in host memory between encodes");
  cmd->add_flag("--table", o.table, "Print the table per preset (1.3b, 14b), world (1-8) and shard");
  return cmd;
}

int run_memory_command(const MemoryCommandOptions& o) {
  ABLATE_USAGE_CHECK(o.rank < o.world, "--rank ", o.rank, ": expected a rank below --world ", o.world);
  if (o.table) memory_command_detail::print_table(o);
  else memory_command_detail::print_one(o);
  return 0;
}

}  // namespace ablate
