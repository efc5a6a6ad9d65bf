#include "core/dist/gather_stream.h"

#include <deque>

#include "core/host_read.h"

namespace ablate::dist {
namespace {

// The CPU: gathers run inline (Gloo blocks the host); the limiter keeps FSDP1's count of waits.
class InlineGatherStream : public GatherStream {
 public:
  explicit InlineGatherStream(int limit) : GatherStream(limit) {}

  torch::Tensor issue(const std::function<torch::Tensor()>& gather) override {
    if (static_cast<int>(free_events_) >= limit_) {
      --free_events_;
      ++limiter_waits_;
      count_host_sync(HostReadSite::kGatherLimiter, /*on_device=*/false);
    }
    return gather();
  }
  void use(const torch::Tensor&) override {}
  void freed() override { ++free_events_; }

 private:
  size_t free_events_ = 0;
};

}  // namespace

std::unique_ptr<GatherStream> make_gather_stream(torch::Device device, int limit) {
#if defined(ABLATE_CUDA)
  if (device.is_cuda()) return make_cuda_gather_stream(device.has_index() ? device.index() : 0, limit);
#endif
  return std::make_unique<InlineGatherStream>(limit);
}

}  // namespace ablate::dist
