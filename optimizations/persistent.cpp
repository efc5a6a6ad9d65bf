#include "optimizations/persistent.h"

namespace ablate::opt {

StrategyInfo PersistentStrategy::info() const {
  StrategyInfo i;
  i.name = "persistent";
  i.description = "engine built once and reused (reuse); per_request rebuilds it per request, timing build + generate";
  i.values = {"reuse", "per_request"};
  i.affects_build = true;
  i.searchable = false;  // the naive server a stack is compared with, not an optimization
  return i;
}

ABLATE_DEFINE_STRATEGY(persistent, PersistentStrategy)

}  // namespace ablate::opt
