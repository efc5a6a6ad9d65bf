// The memory preflight of a workload: core's estimate (core/memory_estimate.h) for this rank with
// the strategies' build options and what strategies keep on top (CUDA-graph pools), checked against
// the memory available before any work; --no-preflight turns the check off for the process.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <iosfwd>
#include <string>
#include <vector>

#include "core/memory_estimate.h"
#include "core/dist/world.h"
#include "experiments/runner/engine.h"
#include "experiments/runner/matrix_spec.h"
#include "experiments/runner/workload.h"

namespace ablate {

// Process-wide switch (the CLI's --no-preflight); on by default.
void set_memory_preflight_enabled(bool enabled);
bool memory_preflight_enabled();

// The estimate's inputs for `w` with `values` (each strategy's configure() applied, as the engine
// builds it) on rank `rank` of `world_size`.
MemoryEstimateRequest workload_memory_request(const Workload& w, const StrategyValues& values, torch::Device device,
                                              int world_size, int rank);
MemoryEstimate estimate_workload_memory(const Workload& w, const StrategyValues& values, torch::Device device,
                                        int world_size, int rank);

// The largest estimate over the combinations' values (a matrix: every engine must fit).
MemoryEstimate largest_memory_estimate(const Workload& w, const std::vector<StrategyValues>& combinations,
                                       torch::Device device, int world_size, int rank);

// "memory estimate: 27.9 GiB device (vae decode 8.3, ...) at vae_decode, 2.0 GiB host; 139.2 GiB
// device free": the header line's text.
std::string memory_estimate_line(const MemoryEstimate& e, const AvailableMemory& available);

// Checks `e` against the memory available now unless the preflight is off (UsageError, exit 2);
// returns the header line either way.
std::string run_memory_preflight(const MemoryEstimate& e, torch::Device device, const std::string& what);

// The matrix's preflight: the largest estimate over the combinations that can run here, checked;
// returns the header line.
std::string run_matrix_memory_preflight(const MatrixSpec& spec, torch::Device device, const dist::WorldInfo& world);

// The estimate against the measured peak, printed as one line on `out` ("memory: measured 27.9 GiB,
// estimated 28.1 GiB (+0.7%)") and returned as JSON. CUDA: the caching allocator's peak;
// CPU: the growth of the RSS high-water mark over `rss_before` against the estimate less the process base.
nlohmann::json memory_check_json(const MemoryEstimate& e, int64_t measured_peak, int64_t rss_before, std::ostream& out);

}  // namespace ablate
