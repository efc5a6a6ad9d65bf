// CUDA-only: SideStream over a pooled CUDA stream, ordered against the current stream by events.
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>

#include "core/host_worker.h"
#include "core/side_stream.h"

namespace ablate {

namespace {

class CudaSideStream : public SideStream {
 public:
  CudaSideStream(int device_index, SideStreamHost host)
      : device_(static_cast<c10::DeviceIndex>(device_index)),
        side_(at::cuda::getStreamFromPool(/*isHighPriority=*/false, device_)) {
    if (host == SideStreamHost::kOwnThread) worker_ = std::make_unique<HostWorker>();
  }

  void run(std::function<void()> work) override {
    // recorded here, on the caller's stream, so the order is the caller's program order
    auto ready = std::make_shared<at::cuda::CUDAEvent>();  // timing disabled: ordering only
    ready->record(at::cuda::getCurrentCUDAStream(device_));
    auto issue = [ready, side = side_, work = std::move(work)] {
      ready->block(side);
      c10::cuda::CUDAStreamGuard guard(side);
      work();
    };
    run_or_submit(worker_.get(), std::move(issue));
  }

  void drain() override {
    if (worker_) worker_->drain();
  }

  void join(const std::vector<torch::Tensor>& outputs) override {
    const auto current = at::cuda::getCurrentCUDAStream(device_);
    at::cuda::CUDAEvent done;
    done.record(side_);
    done.block(current);
    for (const auto& t : outputs) {
      if (t.defined() && t.is_cuda()) c10::cuda::CUDACachingAllocator::recordStream(t.storage().data_ptr(), current);
    }
  }

 private:
  c10::DeviceIndex device_;
  at::cuda::CUDAStream side_;
  std::unique_ptr<HostWorker> worker_;  // kOwnThread; destroyed first, while the stream still exists
};

}  // namespace

std::unique_ptr<SideStream> make_cuda_side_stream(int device_index, SideStreamHost host) {
  return std::make_unique<CudaSideStream>(device_index, host);
}

}  // namespace ablate
