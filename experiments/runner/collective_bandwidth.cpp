#include "experiments/runner/collective_bandwidth.h"

#include <stdexcept>

namespace ablate {

double busbw_factor(const std::string& c, int n) {
  const double nn = static_cast<double>(n);
  if (c == "all_gather" || c == "param_all_gather" || c == "all_to_all" || c == "reduce_scatter") return (nn - 1) / nn;
  if (c == "all_reduce") return 2 * (nn - 1) / nn;
  if (c == "broadcast" || c == "barrier") return 1.0;
  throw std::invalid_argument("busbw_factor: unknown collective '" + c +
                              "'; known: all_gather, param_all_gather, all_to_all, reduce_scatter, all_reduce, broadcast");
}

double collective_size_bytes(const std::string& c, int64_t sent, int n) {
  const double s = static_cast<double>(sent);
  if (c == "all_gather" || c == "param_all_gather") return s * n;
  return s;
}

nlohmann::json collective_table(const nlohmann::json& stats, int n) {
  double total_ms = 0;
  for (const auto& [name, s] : stats.items()) total_ms += s.value("ms", 0.0);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, s] : stats.items()) {
    const double ms = s.value("ms", 0.0);
    const int64_t bytes = s.value("bytes", int64_t{0});
    nlohmann::json row{{"calls", s.value("calls", int64_t{0})}, {"bytes", bytes}, {"ms", ms},
                       {"share", total_ms > 0 ? ms / total_ms : 0.0}};
    if (name != "barrier" && ms > 0) {
      const double algbw = collective_size_bytes(name, bytes, n) / (ms * 1e-3) / 1e9;  // GB/s, as nccl-tests
      row["algbw_gbps"] = algbw;
      row["busbw_gbps"] = algbw * busbw_factor(name, n);
    }
    out[name] = row;
  }
  return out;
}

}  // namespace ablate
