// The determinism fingerprint: everything that may change output bits without a code change
// (device and its kernels' library versions, world size, dtype, determinism flags, workload).
// Baselines are keyed by it; an unknown fingerprint means "rebaseline required", not "fail".
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>

namespace ablate {

struct FingerprintInputs {
  torch::Device device = torch::kCPU;
  int world_size = 1;
  std::string dtype;          // "fp32" | "bf16"
  nlohmann::json workload;    // Workload::to_json()
};

nlohmann::json determinism_fingerprint(const FingerprintInputs& in);
// Short stable key (first 16 hex digits of the SHA-256 of the fingerprint's canonical dump).
std::string fingerprint_key(const nlohmann::json& fingerprint);

// CUDA builds only (fingerprint_cuda.cpp): GPU name, SM count, driver/runtime/cuDNN/NCCL versions.
nlohmann::json cuda_fingerprint(torch::Device device);

}  // namespace ablate
