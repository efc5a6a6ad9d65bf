// CUDA-only: the caching allocator's peak allocated bytes.
#include <c10/cuda/CUDACachingAllocator.h>

#include <cstdint>

namespace ablate {

void reset_peak_memory_cuda(int device_index) {
  c10::cuda::CUDACachingAllocator::resetPeakStats(static_cast<c10::DeviceIndex>(device_index));
}

int64_t peak_memory_cuda(int device_index) {
  auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(static_cast<c10::DeviceIndex>(device_index));
  return stats.allocated_bytes[0].peak;  // index 0 = StatType::AGGREGATE (all pools)
}

}  // namespace ablate
