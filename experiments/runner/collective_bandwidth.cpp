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

void add_bandwidth(std::map<std::string, CollectiveRow>& rows, int n) {
  double total_ms = 0;
  for (const auto& [name, r] : rows) total_ms += r.ms;
  for (auto& [name, r] : rows) {
    r.share = total_ms > 0 ? r.ms / total_ms : 0.0;
    if (name == "barrier" || r.ms <= 0) continue;
    const double algbw = collective_size_bytes(name, r.bytes, n) / (r.ms * 1e-3) / 1e9;  // GB/s, as nccl-tests
    r.algbw_gbps = algbw;
    r.busbw_gbps = algbw * busbw_factor(name, n);
  }
}

}  // namespace ablate
