// A second, ordered queue of device work beside the current stream. Work run on it starts after
// everything issued on the current stream so far and overlaps what the current stream is given
// afterwards; join() makes the current stream wait for it. On the CPU, and in CPU builds, work
// runs inline, in program order (nothing overlaps).
// With SideStreamHost::kOwnThread the work is also issued from a host thread of its own (a
// HostWorker), in submission order: the caller returns at once, so the side stream's launches,
// which block once CUDA's launch queue is full, no longer hold back the current stream's.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <vector>

namespace ablate {

// Who issues the side stream's work on the host: the caller, inside run(), or a thread of its own.
enum class SideStreamHost { kCaller, kOwnThread };

class SideStream {
 public:
  virtual ~SideStream() = default;
  // Runs `work` with the side stream current; its device work waits for what the current stream
  // has been given so far (an event, no host sync). kCaller: on this thread, now. kOwnThread:
  // queued for the stream's thread (with this thread's grad mode and thread-local state), so
  // `work` must own what it reads (capture by value).
  virtual void run(std::function<void()> work) = 0;
  // Waits on the host until every work given to run() has been issued, and rethrows the first
  // error one of them threw. A no-op with kCaller.
  virtual void drain() = 0;
  // The current stream waits for all work given to the side stream so far (an event, no host
  // sync). `outputs` were made on the side stream and are used on the current stream from now on:
  // the caching allocator is told, so their memory is not reused before that use is done.
  virtual void join(const std::vector<torch::Tensor>& outputs) = 0;
};

// A CUDA side stream from LibTorch's pool for a CUDA device; the inline version otherwise (with
// kOwnThread, inline on its own thread: the CPU's work then overlaps too).
std::unique_ptr<SideStream> make_side_stream(torch::Device device, SideStreamHost host = SideStreamHost::kCaller);

#if defined(ABLATE_CUDA)
std::unique_ptr<SideStream> make_cuda_side_stream(int device_index, SideStreamHost host);  // side_stream_cuda.cpp
#endif

}  // namespace ablate
