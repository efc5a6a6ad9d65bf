// CUDA-only: ForwardGraphs over at::cuda::CUDAGraph, one shared memory pool, capture on a side stream.
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>

#include <map>

#include "core/dit/wan_model.h"
#include "optimizations/cuda_graph.h"
#include "profiling/memory_stats.h"

namespace ablate::opt {

namespace {

torch::Tensor static_like(const torch::Tensor& t) {
  return t.defined() ? torch::empty(t.sizes(), t.options()) : torch::Tensor();
}

void copy_into(torch::Tensor& dst, const torch::Tensor& src) {
  if (dst.defined()) dst.copy_(src);
}

class CudaForwardGraphs : public ForwardGraphs {
 public:
  explicit CudaForwardGraphs(torch::Device device)
      : device_(static_cast<c10::DeviceIndex>(device.has_index() ? device.index() : 0)),
        pool_(at::cuda::graph_pool_handle()),
        capture_stream_(at::cuda::getStreamFromPool(/*isHighPriority=*/false, device_)) {}

  ~CudaForwardGraphs() override { clear(); }

  torch::Tensor run(const ForwardCall& call, const std::string& key, bool& replayed) override {
    const auto& in = call.inputs;
    auto it = graphs_.find(key);
    if (it != graphs_.end()) {
      Entry& e = *it->second;
      load(e.inputs, in);  // on the current stream, before the replay on the same stream
      e.graph.replay();
      replayed = true;
      return e.output.clone();  // the next replay overwrites the static output
    }
    replayed = false;
    auto entry = std::make_unique<Entry>();
    Entry& e = *entry;
    e.inputs.x = static_like(in.x);
    e.inputs.t = static_like(in.t);
    e.inputs.context = static_like(in.context);
    e.inputs.y = static_like(in.y);
    e.inputs.plucker = static_like(in.plucker);
    load(e.inputs, in);

    const auto current = at::cuda::getCurrentCUDAStream(device_);
    // one capture stream for every graph, so the warm-ups' cached blocks are reused, not stranded
    // on one side stream per graph
    const auto side = capture_stream_;
    at::cuda::CUDAEvent ready;
    ready.record(current);
    ready.block(side);
    torch::Tensor v;
    {
      c10::cuda::CUDAStreamGuard guard(side);
      // warm-up and this call's result: the eager forward on the static inputs, on the capture
      // stream (per-stream library state is set up here, outside the capture)
      v = call.run(e.inputs);
      // inside the capture the allocator cannot free cached blocks to make room: free them now
      side.synchronize();
      c10::cuda::CUDACachingAllocator::emptyCache();
      const int64_t reserved_before = reserved_bytes();
      // thread-local: a decode issued from its own thread (vae_stream=thread) may allocate meanwhile
      e.graph.capture_begin(pool_, cudaStreamCaptureModeThreadLocal);
      try {
        e.output = call.run(e.inputs);
      } catch (const std::exception& error) {
        // end the broken capture, so the stream and the allocator leave capture mode, and say in
        // one line which graph could not be captured and why
        try {
          e.graph.capture_end();
        } catch (...) {  // NOLINT(bugprone-empty-catch): ending an invalidated capture fails too
        }
        size_t free_bytes = 0, total_bytes = 0;
        cudaMemGetInfo(&free_bytes, &total_bytes);
        throw std::runtime_error(capture_failure_message(call.site, error.what(), static_cast<int64_t>(free_bytes),
                                                         static_cast<int64_t>(total_bytes),
                                                         memory_summary(call.site.device)));
      }
      e.graph.capture_end();
      capture_reserved_ += reserved_bytes() - reserved_before;
    }
    at::cuda::CUDAEvent done;
    done.record(side);
    done.block(current);
    c10::cuda::CUDACachingAllocator::recordStream(v.storage().data_ptr(), current);
    graphs_.emplace(key, std::move(entry));
    return v;
  }

  size_t size() const override { return graphs_.size(); }
  int64_t capture_reserved_bytes() const override { return capture_reserved_; }

  void clear() override {
    if (graphs_.empty()) return;
    c10::cuda::device_synchronize();  // no replay may still be running
    graphs_.clear();
  }

 private:
  struct Entry {
    at::cuda::CUDAGraph graph;
    dit::DitInputs inputs;  // static: replays read these
    torch::Tensor output;   // static: replays write this
  };

  int64_t reserved_bytes() const {
    return c10::cuda::CUDACachingAllocator::getDeviceStats(device_).reserved_bytes[0].current;
  }

  static void load(dit::DitInputs& dst, const dit::DitInputs& src) {
    copy_into(dst.x, src.x);
    copy_into(dst.t, src.t);
    copy_into(dst.context, src.context);
    copy_into(dst.y, src.y);
    copy_into(dst.plucker, src.plucker);
  }

  c10::DeviceIndex device_;
  decltype(at::cuda::graph_pool_handle()) pool_;  // one pool shared by every graph
  at::cuda::CUDAStream capture_stream_;
  int64_t capture_reserved_ = 0;
  std::map<std::string, std::unique_ptr<Entry>> graphs_;
};

}  // namespace

std::unique_ptr<ForwardGraphs> make_forward_graphs(torch::Device device) {
  if (!device.is_cuda()) return nullptr;
  return std::make_unique<CudaForwardGraphs>(device);
}

}  // namespace ablate::opt
