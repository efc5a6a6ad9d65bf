// CUDA-only: GatherStream over a pooled CUDA stream (FSDP1's _unshard_stream) and CUDA events.
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>

#include <deque>
#include <map>
#include <memory>

#include "core/dist/gather_stream.h"
#include "core/host_read.h"

namespace ablate::dist {
namespace {

class CudaGatherStream : public GatherStream {
 public:
  CudaGatherStream(int device_index, int limit)
      : GatherStream(limit),
        device_(static_cast<c10::DeviceIndex>(device_index)),
        stream_(at::cuda::getStreamFromPool(/*isHighPriority=*/false, device_)) {}

  torch::Tensor issue(const std::function<torch::Tensor()>& gather) override {
    if (static_cast<int>(free_events_.size()) >= limit_) {  // limit_all_gathers: a host wait
      free_events_.front()->synchronize();
      free_events_.pop_front();
      ++limiter_waits_;
      count_host_sync(HostReadSite::kGatherLimiter, /*on_device=*/true);
    }
    c10::cuda::CUDAStreamGuard guard(stream_);  // not ordered after the compute stream's work
    torch::Tensor full = gather();                // allocated on the gather stream (see the header)
    auto ready = std::make_shared<at::cuda::CUDAEvent>();
    ready->record(stream_);
    ready_[full.storage().data_ptr().get()] = std::move(ready);
    return full;
  }

  void use(const torch::Tensor& full) override {
    const auto compute = at::cuda::getCurrentCUDAStream(device_);
    auto it = ready_.find(full.storage().data_ptr().get());
    if (it == ready_.end()) return;
    it->second->block(compute);
    ready_.erase(it);
    // made on the gather stream, used and freed on the compute stream
    c10::cuda::CUDACachingAllocator::recordStream(full.storage().data_ptr(), compute);
  }

  void freed() override {
    auto e = std::make_unique<at::cuda::CUDAEvent>();
    e->record(at::cuda::getCurrentCUDAStream(device_));
    free_events_.push_back(std::move(e));
  }

 private:
  c10::DeviceIndex device_;
  at::cuda::CUDAStream stream_;
  std::deque<std::unique_ptr<at::cuda::CUDAEvent>> free_events_;
  std::map<const void*, std::shared_ptr<at::cuda::CUDAEvent>> ready_;
};

}  // namespace

std::unique_ptr<GatherStream> make_cuda_gather_stream(int device_index, int limit) {
  return std::make_unique<CudaGatherStream>(device_index, limit);
}

}  // namespace ablate::dist
