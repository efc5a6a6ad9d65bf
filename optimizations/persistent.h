// persistent (PR #49): the engine is built once and reused across requests (the harness's own
// protocol, so it is the baseline); per_request rebuilds it for every request as the naive
// server did, and each sample is then build + install + generate() (PR #49's 3.13x case).
// It declares the rebuild (rebuilds_engine_per_request); the runner and `ablate generate` time it.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class PersistentStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  bool rebuilds_engine_per_request(const std::string& value) const override { return value == "per_request"; }
};

}  // namespace ablate::opt
