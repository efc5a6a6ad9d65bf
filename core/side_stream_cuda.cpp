// CUDA-only: SideStream over a pooled CUDA stream, ordered against the current stream by events.
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAGuard.h>

#include "core/side_stream.h"

namespace ablate {

namespace {

class CudaSideStream : public SideStream {
 public:
  explicit CudaSideStream(int device_index)
      : device_(static_cast<c10::DeviceIndex>(device_index)),
        side_(at::cuda::getStreamFromPool(/*isHighPriority=*/false, device_)) {}

  void run(const std::function<void()>& work) override {
    const auto current = at::cuda::getCurrentCUDAStream(device_);
    at::cuda::CUDAEvent ready;  // timing disabled: ordering only
    ready.record(current);
    ready.block(side_);
    c10::cuda::CUDAStreamGuard guard(side_);
    work();
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
};

}  // namespace

std::unique_ptr<SideStream> make_cuda_side_stream(int device_index) {
  return std::make_unique<CudaSideStream>(device_index);
}

}  // namespace ablate
