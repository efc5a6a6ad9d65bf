#include "optimizations/persistent.h"

namespace ablate::opt {

StrategyInfo PersistentStrategy::info() const {
  StrategyInfo i;
  i.name = "persistent";
  i.description = "engine built once and reused (reuse); per_request rebuilds it per request, timing build + generate";
  i.values = {"reuse", "per_request"};
  i.affects_build = true;
  return i;
}

}  // namespace ablate::opt
