// The strategy registry, expanded from registry.def.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "optimizations/strategy.h"

namespace ablate::opt {

std::vector<std::string> strategy_names();
// A fresh instance (strategies keep per-run state such as cache counters); UsageError when unknown.
std::unique_ptr<Strategy> make_strategy(const std::string& name);
StrategyInfo strategy_info(const std::string& name);
// The table `ablate list` prints and EXPERIMENTS.md carries (Markdown).
std::string strategy_table_markdown();

}  // namespace ablate::opt
