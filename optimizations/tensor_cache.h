// The keyed tensor cache text_cache and image_cache share: a hit returns the same (device) tensor,
// a miss computes and keeps it; an optional bound evicts the oldest entry first.
#pragma once
#include <torch/torch.h>

#include <deque>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace ablate::opt {

class TensorCache {
 public:
  torch::Tensor get_or_compute(const std::string& key, const std::function<torch::Tensor()>& compute) {
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      ++hits_;
      return it->second;
    }
    ++misses_;
    torch::Tensor value = compute();
    entries_[key] = value;
    order_.push_back(key);
    if (max_entries_ > 0 && entries_.size() > max_entries_) {
      entries_.erase(order_.front());
      order_.pop_front();
    }
    return value;
  }

  void set_max_entries(size_t n) { max_entries_ = n; }  // 0: unbounded
  void clear() {
    entries_.clear();
    order_.clear();
  }
  int64_t hits() const { return hits_; }
  int64_t misses() const { return misses_; }
  // What the ledger records; cross-request caching is not MLPerf-compliant, and runs say so.
  nlohmann::json counters() const {
    return {{"hits", hits_}, {"misses", misses_}, {"entries", entries_.size()}, {"mlperf_compliant", false}};
  }

 private:
  std::map<std::string, torch::Tensor> entries_;
  std::deque<std::string> order_;
  size_t max_entries_ = 0;
  int64_t hits_ = 0, misses_ = 0;
};

}  // namespace ablate::opt
