// The one parser of strategy settings: "name=value" (--set, --stack, --candidate, a spec's stack)
// and "name=v1,v2" (--axis), each value checked against the registry. Every flag and file goes
// through here, so the same bad value gets the same message wherever it is given:
//   "<where>: unknown strategy 'x'; valid strategies: ..." or
//   "<where>: strategy s has no value 'v'; valid values: ...".
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace ablate {

// UsageError naming `where` unless `name` is a strategy and `value` one of its values.
void check_strategy_value(const std::string& name, const std::string& value, const std::string& where);

// "name=value" -> (name, value), checked.
std::pair<std::string, std::string> parse_assignment(const std::string& text, const std::string& where);

// "name=v1,v2,..." -> (name, values), each checked; duplicates refused.
std::pair<std::string, std::vector<std::string>> parse_axis(const std::string& text, const std::string& where);

// Several "name=value" (a strategy at most once) -> name -> value, in one map.
std::map<std::string, std::string> parse_assignments(const std::vector<std::string>& texts, const std::string& where);

}  // namespace ablate
