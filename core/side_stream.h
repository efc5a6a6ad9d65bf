// A second, ordered queue of device work beside the current stream. Work run on it starts after
// everything issued on the current stream so far and overlaps what the current stream is given
// afterwards; join() makes the current stream wait for it. On the CPU, and in CPU builds, work
// runs inline, in program order (nothing overlaps).
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

namespace ablate {

class SideStream {
 public:
  virtual ~SideStream() = default;
  // Runs `work` on the host now with the side stream current; its device work waits for what
  // the current stream has been given so far (an event, no host sync).
  virtual void run(const std::function<void()>& work) = 0;
  // The current stream waits for all work given to the side stream so far (an event, no host
  // sync). `outputs` were made on the side stream and are used on the current stream from now on:
  // the caching allocator is told, so their memory is not reused before that use is done.
  virtual void join(const std::vector<torch::Tensor>& outputs) = 0;
};

// A CUDA side stream from LibTorch's pool for a CUDA device; the inline version otherwise.
std::unique_ptr<SideStream> make_side_stream(torch::Device device);

#if defined(ABLATE_CUDA)
std::unique_ptr<SideStream> make_cuda_side_stream(int device_index);  // side_stream_cuda.cpp
#endif

}  // namespace ablate
