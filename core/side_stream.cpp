#include "core/side_stream.h"

#include "core/host_worker.h"

namespace ablate {

namespace {

class InlineSideStream : public SideStream {
 public:
  explicit InlineSideStream(SideStreamHost host) {
    if (host == SideStreamHost::kOwnThread) worker_ = std::make_unique<HostWorker>();
  }
  void run(std::function<void()> work) override { run_or_submit(worker_.get(), std::move(work)); }
  void drain() override {
    if (worker_) worker_->drain();
  }
  void join(const std::vector<torch::Tensor>&) override {}

 private:
  std::unique_ptr<HostWorker> worker_;
};

}  // namespace

std::unique_ptr<SideStream> make_side_stream(torch::Device device, SideStreamHost host) {
#if defined(ABLATE_CUDA)
  if (device.is_cuda()) return make_cuda_side_stream(device.has_index() ? device.index() : 0, host);
#endif
  return std::make_unique<InlineSideStream>(host);
}

}  // namespace ablate
