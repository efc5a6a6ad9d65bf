#include "core/side_stream.h"

namespace ablate {

namespace {

class InlineSideStream : public SideStream {
 public:
  void run(const std::function<void()>& work) override { work(); }
  void join(const std::vector<torch::Tensor>&) override {}
};

}  // namespace

std::unique_ptr<SideStream> make_side_stream(torch::Device device) {
#if defined(ABLATE_CUDA)
  if (device.is_cuda()) return make_cuda_side_stream(device.has_index() ? device.index() : 0);
#endif
  return std::make_unique<InlineSideStream>();
}

}  // namespace ablate
