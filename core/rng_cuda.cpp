// CUDA-only: a Philox generator seeded like torch.Generator(device='cuda').manual_seed(seed).
#include <ATen/cuda/CUDAGeneratorImpl.h>

#include "core/rng.h"

namespace ablate {

at::Generator make_cuda_generator(int device_index, uint64_t seed) {
  auto gen = at::make_generator<at::CUDAGeneratorImpl>(static_cast<c10::DeviceIndex>(device_index));
  gen.set_current_seed(seed);
  return gen;
}

}  // namespace ablate
