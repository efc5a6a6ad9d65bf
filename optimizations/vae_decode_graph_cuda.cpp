// CUDA-only: DecodeGraphs over at::cuda::CUDAGraph, one shared memory pool, capture on a side stream.
#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAEvent.h>
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>

#include <map>

#include "optimizations/vae_decode_graph.h"

namespace ablate::opt {

namespace vae_decode_graph_cuda {

class CudaDecodeGraphs : public DecodeGraphs {
 public:
  explicit CudaDecodeGraphs(torch::Device device)
      : device_(static_cast<c10::DeviceIndex>(device.has_index() ? device.index() : 0)),
        pool_(at::cuda::graph_pool_handle()) {}

  ~CudaDecodeGraphs() override {
    if (!graphs_.empty()) c10::cuda::device_synchronize();  // no replay may still be running
  }

  torch::Tensor run(const vae::DecodeStep& step, const std::string& key, bool& replayed) override {
    auto it = graphs_.find(key);
    if (it != graphs_.end()) {
      Entry& e = *it->second;
      load(e, step);  // on the current stream, before the replay on the same stream
      e.graph.replay();
      step.cache.set_slots(slots_of(e.cache_out));  // the next replay copies them in before writing them
      replayed = true;
      return e.output.clone();  // the next replay overwrites the static output
    }
    replayed = false;
    auto entry = std::make_unique<Entry>();
    Entry& e = *entry;
    e.input = torch::empty_like(step.input);
    for (const auto& slot : step.cache.slots()) e.cache_in.push_back(torch::empty_like(slot.frames));
    load(e, step);

    const auto current = at::cuda::getCurrentCUDAStream(device_);
    const auto side = at::cuda::getStreamFromPool(/*isHighPriority=*/false, device_);
    at::cuda::CUDAEvent ready;
    ready.record(current);
    ready.block(side);
    torch::Tensor y;
    std::vector<vae::CacheSlot> after;
    {
      c10::cuda::CUDAStreamGuard guard(side);
      // warm-up and this frame's result, from the static copies (library set-up outside the capture)
      step.cache.set_slots(slots_of(e.cache_in));
      y = step.run(e.input);
      after = step.cache.slots();
      // the capture, from the same state
      step.cache.set_slots(slots_of(e.cache_in));
      // thread-local: a decode issued from its own thread (vae_stream=thread) may allocate meanwhile
      e.graph.capture_begin(pool_, cudaStreamCaptureModeThreadLocal);
      try {
        e.output = step.run(e.input);
      } catch (const std::exception& error) {
        try {
          e.graph.capture_end();
        } catch (...) {  // NOLINT(bugprone-empty-catch): ending an invalidated capture fails too
        }
        TORCH_CHECK(false, "vae_decode_graph: capturing the decoder step [", key, "] failed: ", error.what());
      }
      e.graph.capture_end();
      for (const auto& slot : step.cache.slots()) e.cache_out.push_back(slot.frames);
    }
    at::cuda::CUDAEvent done;
    done.record(side);
    done.block(current);
    // made on the side stream, used on the current one from here on
    c10::cuda::CUDACachingAllocator::recordStream(y.storage().data_ptr(), current);
    for (const auto& slot : after) c10::cuda::CUDACachingAllocator::recordStream(slot.frames.storage().data_ptr(), current);
    step.cache.set_slots(after);  // the eager step's state: what this frame left
    graphs_.emplace(key, std::move(entry));
    return y;
  }

  size_t size() const override { return graphs_.size(); }

 private:
  struct Entry {
    at::cuda::CUDAGraph graph;
    torch::Tensor input;                    // static: replays read it
    std::vector<torch::Tensor> cache_in;    // static: replays read them (slot order)
    std::vector<torch::Tensor> cache_out;   // static: replays write them
    torch::Tensor output;                   // static: replays write it
  };

  static std::vector<vae::CacheSlot> slots_of(const std::vector<torch::Tensor>& frames) {
    std::vector<vae::CacheSlot> slots(frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
      slots[i].state = vae::CacheSlot::State::kTensor;
      slots[i].frames = frames[i];
    }
    return slots;
  }

  static void load(Entry& e, const vae::DecodeStep& step) {
    e.input.copy_(step.input);
    const auto& slots = step.cache.slots();
    for (size_t i = 0; i < slots.size(); ++i)
      if (!slots[i].frames.is_same(e.cache_in[i])) e.cache_in[i].copy_(slots[i].frames);
  }

  c10::DeviceIndex device_;
  decltype(at::cuda::graph_pool_handle()) pool_;  // one pool shared by every graph
  std::map<std::string, std::unique_ptr<Entry>> graphs_;
};

}  // namespace vae_decode_graph_cuda

std::unique_ptr<DecodeGraphs> make_decode_graphs(torch::Device device) {
  if (!device.is_cuda()) return nullptr;
  return std::make_unique<vae_decode_graph_cuda::CudaDecodeGraphs>(device);
}

}  // namespace ablate::opt
