#include "optimizations/registry.h"

#include <sstream>

#include "core/error.h"

namespace ablate::opt {

// the factories, defined in each strategy's file by ABLATE_DEFINE_STRATEGY
#define ABLATE_STRATEGY(name) std::unique_ptr<Strategy> make_##name##_strategy();
#include "optimizations/registry.def"
#undef ABLATE_STRATEGY

std::vector<std::string> strategy_names() {
  return {
#define ABLATE_STRATEGY(name) #name,
#include "optimizations/registry.def"
#undef ABLATE_STRATEGY
  };
}

std::unique_ptr<Strategy> make_strategy(const std::string& name) {
#define ABLATE_STRATEGY(id) \
  if (name == #id) return make_##id##_strategy();
#include "optimizations/registry.def"
#undef ABLATE_STRATEGY
  std::string valid;
  for (const auto& n : strategy_names()) valid += (valid.empty() ? "" : ", ") + n;
  throw UsageError("unknown strategy '" + name + "'; valid strategies: " + valid);
}

StrategyInfo strategy_info(const std::string& name) { return make_strategy(name)->info(); }

std::string strategy_table_markdown() {
  std::ostringstream os;
  os << "| strategy | values | tier | requires | conflicts | description |\n|---|---|---|---|---|---|\n";
  for (const auto& n : strategy_names()) {
    const auto i = strategy_info(n);
    auto join = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
      return s.empty() ? std::string("-") : s;
    };
    std::string where = i.cuda_only ? " (CUDA only)" : (i.needs_world ? " (world > 1)" : "");
    if (i.affects_build) where += " [own engine]";
    if (!i.searchable) where += " [not searched]";
    os << "| " << n << " | " << join(i.values) << " | " << tier_name(i.tier) << " | " << join(i.requires_on) << " | "
       << join(i.conflicts) << " | " << i.description << where << " |\n";
  }
  return os.str();
}

}  // namespace ablate::opt
