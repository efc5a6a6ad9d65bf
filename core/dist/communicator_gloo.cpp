// Gloo (CPU builds with libgloo-dev): the CPU backend of Communicator.
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

#include "core/dist/c10d_backend.h"

namespace ablate::dist {

std::unique_ptr<Backend> make_gloo_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout) {
  auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
  opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, opts);
  return std::make_unique<C10dBackend<c10d::ProcessGroupGloo>>(pg, "gloo", /*has_allgather_base=*/false);
}

}  // namespace ablate::dist
