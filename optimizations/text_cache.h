// text_cache (PR #50): the text encoder's output cached by SHA-256 of the prompt; a hit returns
// the same device tensor. Optional bound on the number of prompts (oldest evicted first).
// Cross-request caching of intermediate results is not MLPerf-compliant; runs label it.
#pragma once
#include <deque>
#include <map>

#include "optimizations/strategy.h"

namespace ablate::opt {

class TextCacheStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

  void clear();
  void set_max_entries(size_t n) { max_entries_ = n; }  // 0: unbounded
  int64_t hits() const { return hits_; }
  int64_t misses() const { return misses_; }

 private:
  std::map<std::string, torch::Tensor> cache_;
  std::deque<std::string> order_;
  size_t max_entries_ = 0;
  int64_t hits_ = 0, misses_ = 0;
};

}  // namespace ablate::opt
