// kv_index_copy (PR #53): KV-cache writes through index_copy_ with a per-chunk index tensor built
// once on the device, instead of slice assignment.
#pragma once
#include <map>

#include "optimizations/strategy.h"

namespace ablate::opt {

class KvIndexCopyStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  std::map<int64_t, torch::Tensor> index_by_start_;
  int64_t forwards_ = 0;
};

}  // namespace ablate::opt
