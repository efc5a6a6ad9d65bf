// prewarm (PR #48): run throw-away work after the build so the first measured generate() pays no
// one-time costs (lazy CUDA module loading, cuBLAS handles and heuristics, allocator growth, NCCL
// communicator setup). "dit": one DiT forward with the real chunk-0 shapes and temporary caches,
// as the PR; "full": one whole generate() (text encoder, VAE encode and decode too), since a
// warm-up that skips part of the measured path leaves cold costs in it.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class PrewarmStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  double warm_ms_ = 0;
  int64_t forwards_ = 0;
  int64_t batch_ = 1;  // the batch size whose shapes were warmed
};

}  // namespace ablate::opt
