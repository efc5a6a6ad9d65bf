#include "experiments/runner/assignment.h"

#include <algorithm>

#include "core/error.h"
#include "optimizations/registry.h"

namespace ablate {

void check_strategy_value(const std::string& name, const std::string& value, const std::string& where) {
  const auto names = opt::strategy_names();
  ABLATE_USAGE_CHECK(std::find(names.begin(), names.end(), name) != names.end(), where, ": unknown strategy '", name,
                     "'; valid strategies: ", c10::Join(", ", names));
  const auto values = opt::strategy_info(name).values;
  ABLATE_USAGE_CHECK(std::find(values.begin(), values.end(), value) != values.end(), where, ": strategy ", name,
                     " has no value '", value, "'; valid values: ", c10::Join(", ", values));
}

namespace {

std::pair<std::string, std::string> split_at_equals(const std::string& text, const std::string& where,
                                                    const char* example) {
  const auto eq = text.find('=');
  ABLATE_USAGE_CHECK(eq != std::string::npos && eq > 0, where, ": expected ", example, ", found '", text, "'");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace

std::pair<std::string, std::string> parse_assignment(const std::string& text, const std::string& where) {
  auto p = split_at_equals(text, where, "name=value (e.g. sync_elim=on)");
  check_strategy_value(p.first, p.second, where);
  return p;
}

std::pair<std::string, std::vector<std::string>> parse_axis(const std::string& text, const std::string& where) {
  const auto [name, list] = split_at_equals(text, where, "name=v1,v2 (e.g. sync_elim=off,on)");
  std::vector<std::string> values;
  for (size_t pos = 0; pos <= list.size();) {
    const size_t comma = std::min(list.find(',', pos), list.size());
    const std::string v = list.substr(pos, comma - pos);
    check_strategy_value(name, v, where);
    ABLATE_USAGE_CHECK(std::find(values.begin(), values.end(), v) == values.end(), where, ": strategy ", name,
                       " lists value '", v, "' twice");
    values.push_back(v);
    pos = comma + 1;
  }
  return {name, values};
}

std::map<std::string, std::string> parse_assignments(const std::vector<std::string>& texts, const std::string& where) {
  std::map<std::string, std::string> out;
  for (const auto& t : texts) {
    auto [name, value] = parse_assignment(t, where);
    ABLATE_USAGE_CHECK(!out.count(name) || out[name] == value, where, ": strategy ", name, " is set twice ('",
                       out[name], "' and '", value, "')");
    out[name] = value;
  }
  return out;
}

}  // namespace ablate
