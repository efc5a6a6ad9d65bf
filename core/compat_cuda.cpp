// CUDA-only part of compat: the device's compute capability (FP8 GEMMs need SM90).
#include <ATen/cuda/CUDAContext.h>

namespace ablate::compat {

int cuda_capability_major(int device_index) { return at::cuda::getDeviceProperties(device_index)->major; }

}  // namespace ablate::compat
