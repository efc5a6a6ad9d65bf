// cuda_graph: capture the DiT forward as a CUDA graph once per forward shape and chunk, and replay
// it. A forward's kernels depend on its tensors' shapes and on host values (current_start: which
// KV slot it writes and how far attention reads; the ForwardArgs flags) and read and write fixed
// storage (weights, RoPE table, the KV caches, kept across generate() calls with keep_kv_caches);
// so one graph per (chunk, t dtype, shapes, args) is replayed with static input tensors that each
// call's inputs are copied into, and its static output is copied out. In a generate() the first
// forward (it fills the cross-attention cache) runs eagerly; a forward whose graph does not exist
// yet runs eagerly on a side stream (the warm-up: lazy cuBLAS/cuDNN set-up happens outside any
// capture) and is then captured there into a memory pool shared by all graphs. With 7 chunks: 1
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
};

// nullptr in CPU builds.
std::unique_ptr<ForwardGraphs> make_forward_graphs(torch::Device device);

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
