// FSDP1's unshard stream and all-gather rate limiter (the reference shards its DiT and T5 with
// FSDP1 FULL_SHARD, limit_all_gathers=True):
//  - a unit's all-gather is issued on a stream of its own when the host reaches the unit, so it
//    runs while the compute stream still works on earlier units; the compute stream waits for it
//    (an event) only before it uses the unit;
//  - when a unit's gathered parameters are freed after its forward, a free event is recorded on
//    the compute stream; before issuing a new gather with `limit` free events queued, the host
//    waits for the oldest (a host sync, counted as HostReadSite::kGatherLimiter), so at most
//    `limit` gathered units are in flight.
// On the CPU (Gloo) gathers run inline and the limiter's waits are counted the same way, so the
// counts are the same as on the GPU.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>

namespace ablate::dist {

class GatherStream {
 public:
  virtual ~GatherStream() = default;
  // The rate limiter, then `gather` with the gather stream current: it allocates the full buffer,
  // launches the gather into it and returns it once the gather stream holds the gather. The buffer
  // is allocated there, not on the compute stream, as FSDP1 allocates its unsharded flat parameter
  // on its unshard stream: the caching allocator hands the gather stream a block only when no
  // stream's work on it is pending (a block allocated on the compute stream could still be read
  // by compute kernels that the gather stream does not wait for).
  virtual torch::Tensor issue(const std::function<torch::Tensor()>& gather) = 0;
  // The compute stream waits for the last gather issued into `full` (no host sync); `full` may be
  // used and freed on the compute stream from here on.
  virtual void use(const torch::Tensor& full) = 0;
  // A unit's gathered parameters were freed on the compute stream (queues a free event).
  virtual void freed() = 0;
  // Host waits by the limiter since construction.
  int64_t limiter_waits() const { return limiter_waits_; }

 protected:
  explicit GatherStream(int limit) : limit_(limit) {}
  int limit_;
  int64_t limiter_waits_ = 0;
};

// FSDP1's default: at most two gathered units in flight.
constexpr int kFsdpAllGatherLimit = 2;

std::unique_ptr<GatherStream> make_gather_stream(torch::Device device, int limit = kFsdpAllGatherLimit);

#if defined(ABLATE_CUDA)
std::unique_ptr<GatherStream> make_cuda_gather_stream(int device_index, int limit);  // gather_stream_cuda.cpp
#endif

}  // namespace ablate::dist
