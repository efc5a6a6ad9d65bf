#include "core/cuda_device.h"

namespace ablate {

#if defined(ABLATE_CUDA)
void use_cuda_device(int index);  // cuda_device_cuda.cpp
bool cuda_stream_is_capturing(int index);
#endif

void use_device(torch::Device device) {
#if defined(ABLATE_CUDA)
  if (device.is_cuda()) use_cuda_device(device.has_index() ? device.index() : 0);
#endif
}

bool stream_is_capturing(torch::Device device) {
#if defined(ABLATE_CUDA)
  if (device.is_cuda()) return cuda_stream_is_capturing(device.has_index() ? device.index() : 0);
#endif
  return false;
}

}  // namespace ablate
