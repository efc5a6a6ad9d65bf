#include "optimizations/batched_requests.h"

#include <algorithm>

#include "core/error.h"

namespace ablate::opt {

StrategyInfo BatchedRequestsStrategy::info() const {
  StrategyInfo i;
  i.name = "batched_requests";
  i.description = "B requests (seeds seed..seed+B-1) in one generate(); a matrix records the time per request";
  i.values = {"off", "2", "4"};
  i.tier = Tier::kB;
  i.affects_build = true;  // warm-ups run the batch's shapes
  i.searchable = false;    // it trades each request's latency for throughput: not a latency optimization
  i.min_psnr_db = 60.0;
  i.min_frame_psnr_db = 55.0;
  i.max_latent_rel_l2 = 1e-4;
  return i;
}

std::string BatchedRequestsStrategy::validate(const std::string& value, const RunConfig& config) const {
  const auto values = info().values;
  if (std::find(values.begin(), values.end(), value) == values.end())
    throw UsageError("batched_requests: unknown value '" + value + "' (expected off, 2 or 4)");
  return Strategy::validate(value, config);
}

int64_t BatchedRequestsStrategy::requests_per_generate(const std::string& value) const {
  return value == "off" ? 0 : std::stoll(value);
}

void BatchedRequestsStrategy::install(const std::string& value, Pipeline&, const InstallContext&) {
  batch_ = std::max<int64_t>(1, requests_per_generate(value));
}

nlohmann::json BatchedRequestsStrategy::counters() const { return {{"requests_per_generate", batch_}}; }

ABLATE_DEFINE_STRATEGY(batched_requests, BatchedRequestsStrategy)

}  // namespace ablate::opt
