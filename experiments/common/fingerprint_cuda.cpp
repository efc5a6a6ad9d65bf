// CUDA builds: the GPU and library facts of the determinism fingerprint.
#include <ATen/cuda/CUDAContext.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <cuda_runtime_api.h>
#include <torch/csrc/distributed/c10d/NCCLUtils.hpp>

#include "experiments/common/fingerprint.h"

namespace ablate {

nlohmann::json cuda_fingerprint(torch::Device device) {
  const auto* p = at::cuda::getDeviceProperties(device.index() < 0 ? 0 : device.index());
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  return {{"gpu", p->name},
          {"sm_count", p->multiProcessorCount},
          {"compute_capability", std::to_string(p->major) + "." + std::to_string(p->minor)},
          {"driver", driver},
          {"runtime", runtime},
          {"cudnn", at::detail::getCUDAHooks().versionCuDNN()},
          {"nccl", c10d::getNcclVersion()},
          {"tf32_matmul", at::globalContext().allowTF32CuBLAS()}};
}

}  // namespace ablate
