#include "core/precision.h"

#include "core/error.h"

namespace ablate {

Precision Precision::for_name(const std::string& name) {
  if (name == "fp32") return {torch::kFloat, torch::kFloat, torch::kFloat};
  if (name == "bf16") return {torch::kBFloat16, torch::kBFloat16, torch::kBFloat16};
  throw UsageError("dtype: unknown value '" + name + "'; valid values: fp32, bf16");
}

std::string Precision::resolve_name(const std::string& requested, torch::Device device) {
  if (!requested.empty()) return requested;
  return device.is_cuda() ? "bf16" : "fp32";
}

std::string Precision::name() const { return compute == torch::kBFloat16 ? "bf16" : "fp32"; }

}  // namespace ablate
