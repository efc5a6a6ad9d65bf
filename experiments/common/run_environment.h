// Process-wide run settings and facts: device parsing and checks, determinism flags, and the
// environment fields recorded with every result (versions, GPU name).
#pragma once
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <string>

namespace ablate {

// "cpu" | "cuda" | "cuda:N"; UsageError (exit 2) when unknown or when no GPU is there.
torch::Device parse_device(const std::string& name);

// As the reference leaves them: cuDNN benchmark off (no autotuning), cuDNN TF32 and matmul TF32 at
// PyTorch's defaults, and cuDNN's deterministic algorithms off unless `deterministic` (a workload
// that asks for them; the fingerprint records which).
void configure_determinism(bool deterministic = false);

// {"torch": .., "cuda": bool, "gpu": .., "nvtx": bool, "build_type": ..}
nlohmann::json environment_json(torch::Device device);
// {"commit", "dirty"} of the source tree (ABLATE_GIT_COMMIT / ABLATE_GIT_DIRTY override it).
nlohmann::json git_json();

}  // namespace ablate
