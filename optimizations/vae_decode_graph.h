// vae_decode_graph: the VAE decoder's per-frame step captured as a CUDA graph and replayed. From
// latent frame 2 on every step has the same shapes (one latent frame in, four video frames out,
// each causal conv's cache two frames deep), so one graph per shape serves every later frame of
// every decode. A step reads its input and the feature cache and replaces the cache's tensors:
// the graph reads static copies of both (the input and every cache tensor are copied into them
// before each replay) and its cache outputs become the cache. Frames 0 and 1 (shapes still
// growing) run eagerly; the first step of a new shape runs eagerly on a side stream (the warm-up,
// and this frame's result) and is then captured from the same cache state. The replay runs the
// same kernels as the eager step: tier A, to be confirmed on the GPU by registry_cuda_test.cpp.
#pragma once
#include <memory>
#include <string>

#include "optimizations/strategy.h"

namespace ablate::opt {

// Captured decoder steps by shape key (vae_decode_graph_cuda.cpp; CUDA builds only).
class DecodeGraphs {
 public:
  virtual ~DecodeGraphs() = default;
  // Replays the graph of `key` (true) or runs the step eagerly and captures it (false).
  virtual torch::Tensor run(const vae::DecodeStep& step, const std::string& key, bool& replayed) = 0;
  virtual size_t size() const = 0;
};

// nullptr in CPU builds.
std::unique_ptr<DecodeGraphs> make_decode_graphs(torch::Device device);

// "" when the step can be captured and replayed, else why it runs eagerly (frames 0 and 1: the
// shapes still grow; a cache slot that holds no tensor).
std::string decode_graph_eager_reason(const vae::DecodeStep& step);

// The step's input shape and dtype and every cache slot's shape: what a graph is captured for.
std::string decode_graph_key(const vae::DecodeStep& step);

class VaeDecodeGraphStrategy : public Strategy {
 public:
  VaeDecodeGraphStrategy();
  ~VaeDecodeGraphStrategy() override;
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  std::unique_ptr<DecodeGraphs> graphs_;
  int64_t captures_ = 0, replays_ = 0, eager_ = 0;
};

}  // namespace ablate::opt
