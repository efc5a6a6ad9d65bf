// CUDA-only: set the current device.
#include <c10/cuda/CUDAFunctions.h>

namespace ablate {

void use_cuda_device(int index) { c10::cuda::set_device(static_cast<c10::DeviceIndex>(index)); }

}  // namespace ablate
