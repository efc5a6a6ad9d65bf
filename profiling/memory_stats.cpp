#include "profiling/memory_stats.h"

#include <sys/resource.h>

namespace ablate {

#if defined(ABLATE_CUDA)
void reset_peak_memory_cuda(int device_index);
int64_t peak_memory_cuda(int device_index);
void release_cached_memory_cuda(int device_index);
std::string memory_summary_cuda(int device_index);
#endif

void reset_peak_memory(torch::Device device) {
#if defined(ABLATE_CUDA)
  if (device.is_cuda()) {
    torch::empty({1}, torch::TensorOptions().device(device));  // initializes the caching allocator
    reset_peak_memory_cuda(device.has_index() ? device.index() : 0);
  }
#endif
}

void release_cached_memory(torch::Device device) {
#if defined(ABLATE_CUDA)
  if (device.is_cuda()) release_cached_memory_cuda(device.has_index() ? device.index() : 0);
#endif
}

std::string memory_summary(torch::Device device) {
#if defined(ABLATE_CUDA)
  if (device.is_cuda()) return memory_summary_cuda(device.has_index() ? device.index() : 0);
#endif
  return "peak RSS " + std::to_string(peak_memory(device).peak_bytes >> 20) + " MiB";
}

MemoryStats peak_memory(torch::Device device) {
#if defined(ABLATE_CUDA)
  if (device.is_cuda()) return {peak_memory_cuda(device.has_index() ? device.index() : 0), "cuda_allocated"};
#endif
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return {static_cast<int64_t>(usage.ru_maxrss) * 1024, "cpu_max_rss"};
}

}  // namespace ablate
