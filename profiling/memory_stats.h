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
// Returns the caching allocator's unused blocks (dead CUDA-graph pools included) to the device, so
// that a new engine starts as in a fresh process: inside a graph capture the allocator cannot free
// cached blocks to make room, and a capture that needs a new segment would fail. No-op on the CPU.
void release_cached_memory(torch::Device device);
// "X GiB allocated, Y GiB reserved" by the caching allocator (CUDA), for error messages.
std::string memory_summary(torch::Device device);
MemoryStats peak_memory(torch::Device device);

}  // namespace ablate
