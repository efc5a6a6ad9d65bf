// text_cache (PR #50): the text encoder's output cached by SHA-256 of the prompt; a hit returns
// the same device tensor. Optional bound on the number of prompts (oldest evicted first).
// Cross-request caching of intermediate results is not MLPerf-compliant; runs label it.
#pragma once
#include "optimizations/strategy.h"
#include "optimizations/tensor_cache.h"

namespace ablate::opt {

class TextCacheStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

  void clear();
  void set_max_entries(size_t n) { cache_.set_max_entries(n); }  // 0: unbounded
  int64_t hits() const { return cache_.hits(); }
  int64_t misses() const { return cache_.misses(); }

 private:
  TensorCache cache_;
};

}  // namespace ablate::opt
