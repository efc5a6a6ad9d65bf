// cuda_graph: capture the DiT forward as a CUDA graph once per forward shape and chunk, and replay
// it. A forward's kernels depend on its tensors' shapes and on host values (current_start: which
// KV slot it writes and how far attention reads; the ForwardArgs flags) and read and write fixed
// storage (weights, RoPE table, the KV caches, kept across generate() calls with keep_kv_caches);
// so one graph per (chunk, t dtype, shapes, args) is replayed with static input tensors that each
// call's inputs are copied into, and its static output is copied out. In a generate() the first
// forward (it fills the cross-attention cache) runs eagerly; a forward whose graph does not exist
// yet runs eagerly on the one capture stream (the warm-up: lazy cuBLAS/cuDNN set-up happens outside
// any capture) and is then captured there into a memory pool shared by all graphs. The graphs are
// bounded by the schedule: one per (chunk, denoise|refresh), 2 x chunks in all. Before a capture the
// allocator's cached blocks are returned to the device: inside a capture it cannot free them to
// make room, which is how the 14b capture of the last chunk ran out of memory with blocks cached
// on many side streams. With 7 chunks: 1
// eager + 14 captured (run eagerly) + 20 replays in the first generate(), 1 eager + 34 replays in
// later ones. Needs sync_elim (a host read cannot be captured); sliding-window caches read their
// end indices on the host, so those forwards run eagerly. Single process only (collectives and
// parameter gathers inside the forward are not captured here). Graphs live as long as the
// strategy (the pipeline's), and are dropped when the KV caches move.
#pragma once
#include <memory>
#include <string>

#include "optimizations/strategy.h"

namespace ablate::opt {

// Captured forwards by key (cuda_graph_cuda.cpp; CUDA builds only).
class ForwardGraphs {
 public:
  virtual ~ForwardGraphs() = default;
  // Replays the graph of `key` (true) or, when there is none, runs the forward eagerly on a side
  // stream and captures it under `key` for the next call (false). Returns the flow prediction.
  virtual torch::Tensor run(const ForwardCall& call, const std::string& key, bool& replayed) = 0;
  virtual size_t size() const = 0;
  virtual void clear() = 0;  // waits for the device, then drops every graph
  // Growth of the caching allocator's reserved memory across the captures: the graphs' pool.
  virtual int64_t capture_reserved_bytes() const = 0;
};

// nullptr in CPU builds.
std::unique_ptr<ForwardGraphs> make_forward_graphs(torch::Device device);

// The one line a failed capture reports: which graph (chunk, denoise or refresh forward), the
// allocation the error asked for (parsed from the allocator's "Tried to allocate ..." text, when
// there), the device memory free and total, and the first line of the error.
std::string capture_failure_message(const ForwardSite& site, const std::string& error, int64_t free_bytes,
                                    int64_t total_bytes, const std::string& allocator_summary);

// What determines a captured forward: the host values of its args, its chunk's KV offset, its
// input tensors' shapes and dtypes, and the storage of the caches and index tensor it uses.
std::string forward_graph_key(const ForwardCall& call);

// Why this forward must run eagerly ("" when it can be captured): it fills the cross-attention
// cache, or it would read host values from the device (no sync_elim hints, sliding window).
std::string forward_graph_eager_reason(const ForwardCall& call);

class CudaGraphStrategy : public Strategy {
 public:
  CudaGraphStrategy();
  ~CudaGraphStrategy() override;
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void configure(const std::string& value, PipelineOptions& options) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  std::unique_ptr<ForwardGraphs> graphs_;
  const void* caches_id_ = nullptr;  // the KV storage the graphs were captured with
  int64_t captures_ = 0, replays_ = 0, eager_ = 0, dropped_ = 0;
};

}  // namespace ablate::opt
