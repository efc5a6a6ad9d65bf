// The c10d process group behind Communicator, reduced to the collectives the generator uses.
// Each call waits for its Work: on NCCL that makes the current stream wait (no host sync), on
// Gloo it blocks the host.
#pragma once
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

namespace ablate::dist {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // out/in: [w, ...] with slice i going to / coming from rank i
  virtual void all_to_all(torch::Tensor& out, torch::Tensor& in) = 0;
  // out: [w * n] flat, in: [n]
  virtual void all_gather_flat(torch::Tensor& out, torch::Tensor& in) = 0;
  // Starts the gather and returns the wait (for overlapping it with compute).
  virtual std::function<void()> all_gather_flat_async(torch::Tensor& out, torch::Tensor& in) = 0;
  virtual void broadcast(torch::Tensor& t, int root) = 0;
  virtual void barrier() = 0;
};

#if defined(ABLATE_GLOO)
std::unique_ptr<Backend> make_gloo_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout);
#endif
#if defined(ABLATE_CUDA)
std::unique_ptr<Backend> make_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout, int device_index);
#endif

}  // namespace ablate::dist
