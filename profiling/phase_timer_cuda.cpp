// CUDA-only: CUDA events on the current stream for PhaseTimer.
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>

#include "profiling/phase_timer.h"

namespace ablate {
namespace {

class CudaEventClock : public EventClock {
 public:
  int record() override {
    events_.push_back(std::make_unique<at::cuda::CUDAEvent>(cudaEventDefault));
    events_.back()->record(at::cuda::getCurrentCUDAStream());
    return static_cast<int>(events_.size()) - 1;
  }
  double elapsed_ms(int from, int to) override { return events_.at(from)->elapsed_time(*events_.at(to)); }
  void synchronize() override { at::cuda::getCurrentCUDAStream().synchronize(); }

 private:
  std::vector<std::unique_ptr<at::cuda::CUDAEvent>> events_;
};

}  // namespace

std::unique_ptr<EventClock> make_event_clock(torch::Device device) {
  if (device.is_cuda()) return std::make_unique<CudaEventClock>();
  return nullptr;
}

}  // namespace ablate
