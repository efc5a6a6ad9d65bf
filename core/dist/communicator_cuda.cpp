// CUDA builds: NCCL through c10d's ProcessGroupNCCL, and CUDA events for collective timing.
#include <ATen/cuda/CUDAContext.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include "core/dist/c10d_backend.h"

namespace ablate::dist {

std::unique_ptr<Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout, int device_index) {
  auto opts = c10d::ProcessGroupNCCL::Options::create();
  opts->timeout = timeout;
  auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, opts);
  return std::make_unique<C10dBackend<c10d::ProcessGroupNCCL>>(pg, "nccl", /*has_allgather_base=*/true,
                                                               device_index);
}

}  // namespace ablate::dist
