#include "experiments/runner/memory_preflight.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <system_error>

#include "core/config.h"
#include "experiments/common/run_environment.h"
#include "experiments/runner/combinations.h"
#include "optimizations/registry.h"

namespace ablate {

namespace memory_preflight_detail {

std::atomic<bool>& preflight_switch() {
  static std::atomic<bool> on{true};
  return on;
}

// Bytes of the largest file under the checkpoint folder (its pages are mapped while loading).
int64_t largest_checkpoint_file(const std::string& dir) {
  if (dir.empty()) return 0;
  int64_t largest = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    largest = std::max<int64_t>(largest, static_cast<int64_t>(it->file_size(ec)));
  }
  return largest;
}

// cuda_graph's captured forwards share one memory pool that holds about one forward's
// intermediates: 0.63 GB measured at 1.3b on an H100 against 1.14 GB of estimated forward
// activations (reports/memory-preflight.md).
constexpr double kGraphPoolShare = 0.55;

}  // namespace memory_preflight_detail

using namespace memory_preflight_detail;

void set_memory_preflight_enabled(bool enabled) { preflight_switch() = enabled; }
bool memory_preflight_enabled() { return preflight_switch(); }

MemoryEstimateRequest workload_memory_request(const Workload& w, const StrategyValues& values, torch::Device device,
                                              int world_size, int rank) {
  PipelineOptions options = pipeline_options(w, device, nullptr);
  for (const auto& [name, value] : values) opt::make_strategy(name)->configure(value, options);
  MemoryEstimateRequest r;
  r.model = options.model;
  r.geometry = workload_geometry(w, world_size);
  r.cuda = device.is_cuda();
  r.weight_bytes = static_cast<int64_t>(c10::elementSize(options.precision.param));
  r.compute_bytes = static_cast<int64_t>(c10::elementSize(options.precision.compute));
  r.residency = options.residency;
  r.prefetch_gathers = options.prefetch_gathers;
  r.offload_text_encoder = options.offload_text_encoder;
  r.keep_kv_caches = options.keep_kv_caches;
  r.rank = rank;
  r.batch = w.batch;
  r.checkpoint_largest_file = largest_checkpoint_file(w.checkpoint_dir);
  const auto stage_reuse = values.find("vae_encode_stage_reuse");
  if (stage_reuse != values.end() && stage_reuse->second != "off") {
    r.vae_encode_extra_bytes = vae_encode_group_stage_bytes(r.model.vae, r.geometry.height, r.geometry.width,
                                                            static_cast<int64_t>(c10::elementSize(options.vae_compute.dtype)));
    r.vae_encode_extra_label = "encode stage outputs";
  }
  const auto graph = values.find("cuda_graph");
  if (graph != values.end() && graph->second != "off") {
    r.extra_device_bytes = static_cast<int64_t>(kGraphPoolShare * static_cast<double>(dit_activation_bytes(r)));
    r.extra_label = "cuda graph pool";
  }
  return r;
}

MemoryEstimate estimate_workload_memory(const Workload& w, const StrategyValues& values, torch::Device device,
                                        int world_size, int rank) {
  return estimate_memory(workload_memory_request(w, values, device, world_size, rank));
}

MemoryEstimate largest_memory_estimate(const Workload& w, const std::vector<StrategyValues>& combinations,
                                       torch::Device device, int world_size, int rank) {
  MemoryEstimate largest = estimate_workload_memory(w, {}, device, world_size, rank);
  for (const auto& values : combinations) {
    auto e = estimate_workload_memory(w, values, device, world_size, rank);
    if (e.device_bytes + e.host_bytes > largest.device_bytes + largest.host_bytes) largest = std::move(e);
  }
  return largest;
}

std::string memory_estimate_line(const MemoryEstimate& e, const AvailableMemory& a) {
  std::string line = "memory estimate: ";
  if (e.cuda) line += e.device_summary() + " device at " + e.peak_phase + ", " + gib_text(e.host_bytes) + " host";
  else line += e.host_summary() + " host at " + e.peak_phase;
  line += "; available: ";
  if (e.cuda) line += gib_text(a.device_bytes) + " device, ";
  line += gib_text(a.host_bytes) + " host";
  if (!memory_preflight_enabled()) line += " (preflight off)";
  return line;
}

std::string run_memory_preflight(const MemoryEstimate& e, torch::Device device, const std::string& what) {
  const auto available = available_memory(device);
  if (memory_preflight_enabled()) check_memory_fits(e, available, what);
  return memory_estimate_line(e, available);
}

std::string run_matrix_memory_preflight(const MatrixSpec& spec, torch::Device device, const dist::WorldInfo& world) {
  opt::RunConfig where;
  where.device = device;
  where.world_size = world.size;
  std::vector<StrategyValues> runnable;
  for (const auto& c : expand_combinations(spec, where))
    if (c.skip_reason.empty()) runnable.push_back(c.values);
  const auto e = largest_memory_estimate(spec.workload, runnable, device, world.size, world.rank);
  return run_memory_preflight(e, device,
                              spec.source + " (preset " + spec.workload.preset + ", world " +
                                  std::to_string(world.size) + ", rank " + std::to_string(world.rank) +
                                  ", its largest combination)");
}

nlohmann::json memory_check_json(const MemoryEstimate& e, int64_t measured_peak, int64_t rss_before, std::ostream& out) {
  int64_t estimated = e.cuda ? e.device_bytes : e.host_bytes;
  int64_t measured = measured_peak;
  if (!e.cuda) {
    for (const auto& item : e.host)
      if (item.name == "process") estimated -= item.bytes;
    measured = process_peak_rss_bytes() - rss_before;
  }
  const double error = measured > 0 ? 100.0 * (static_cast<double>(estimated) / static_cast<double>(measured) - 1.0) : 0.0;
  char pct[32];
  std::snprintf(pct, sizeof(pct), "%+.1f%%", error);
  out << "memory: measured " << gib_text(measured) << (e.cuda ? " (allocator peak)" : " (RSS growth)")
      << ", estimated " << gib_text(estimated) << " (" << pct << ") at " << e.peak_phase << "\n";
  nlohmann::json items = nlohmann::json::object();
  for (const auto& i : e.cuda ? e.device : e.host) items[i.name] = i.bytes;
  return {{"estimated_bytes", estimated}, {"measured_bytes", measured}, {"error_percent", error},
          {"peak_phase", e.peak_phase}, {"device_bytes", e.device_bytes}, {"host_bytes", e.host_bytes},
          {"items", items}};
}

}  // namespace ablate
