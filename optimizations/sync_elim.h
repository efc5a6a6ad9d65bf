// sync_elim (PR #51, "B3"), all four parts: frame_seqlen from the host, the cross-attention
// first-call flag tracked on the host, the no-eviction KV index path for the global cache, and the
// chunk's token count passed as an int. Inside the DiT forward: 3 device reads per block -> 0.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class SyncElimStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  int64_t forwards_ = 0, blocks_ = 0;
};

}  // namespace ablate::opt
