// Peak memory of a run: the caching allocator's peak on CUDA, the process's peak RSS on the CPU.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace ablate {

struct MemoryStats {
  int64_t peak_bytes = 0;
  std::string kind;  // "cuda_allocated" | "cpu_max_rss"
};

void reset_peak_memory(torch::Device device);
MemoryStats peak_memory(torch::Device device);

}  // namespace ablate
