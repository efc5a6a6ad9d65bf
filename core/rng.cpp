#include "core/rng.h"

#include <ATen/CPUGeneratorImpl.h>

namespace ablate {

at::Generator make_generator(torch::Device device, uint64_t seed) {
  if (device.is_cpu()) return at::detail::createCPUGenerator(seed);
#if defined(ABLATE_CUDA)
  if (device.is_cuda()) return make_cuda_generator(device.has_index() ? device.index() : 0, seed);
#endif
  TORCH_CHECK(false, "make_generator: unsupported device ", device.str(), "; expected cpu or cuda");
}

}  // namespace ablate
