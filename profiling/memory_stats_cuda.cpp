// CUDA-only: the caching allocator's statistics and cache.
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace ablate {

void reset_peak_memory_cuda(int device_index) {
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device_index));
}

int64_t peak_memory_cuda(int device_index) {
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device_index));
  return stats.allocated_bytes[0].peak;  // index 0 = StatType::AGGREGATE (all pools)
}

void release_cached_memory_cuda(int device_index) {
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_index));
  c10::cuda::device_synchronize();  // blocks still in use by queued work are not released
  c10::cuda::CUDACachingAllocator::emptyCache();
}

std::string memory_summary_cuda(int device_index) {
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device_index));
  const double gib = 1024.0 * 1024.0 * 1024.0;
  char text[128];
  std::snprintf(text, sizeof(text), "%.1f GiB allocated, %.1f GiB reserved by the caching allocator",
                static_cast<double>(stats.allocated_bytes[0].current) / gib,
                static_cast<double>(stats.reserved_bytes[0].current) / gib);
  return text;
}

}  // namespace ablate
