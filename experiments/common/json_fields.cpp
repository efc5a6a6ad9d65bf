#include "experiments/common/json_fields.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace ablate {

std::string json_excerpt(const nlohmann::json& v, size_t max_chars) {
  std::string s = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (s.size() > max_chars) s = s.substr(0, max_chars) + "...";
  return s;
}

JsonFields::JsonFields(const nlohmann::json& j, std::string where) : j_(j), where_(std::move(where)) {
  ABLATE_USAGE_CHECK(j.is_object(), where_, ": expected a JSON object, found ", j.type_name(), " ", json_excerpt(j));
}

std::string JsonFields::path(const std::string& key) const { return where_ + "." + key; }

bool JsonFields::has(const std::string& key) const {
  auto it = j_.find(key);
  return it != j_.end() && !it->is_null();
}

void JsonFields::allow_only(const std::vector<std::string>& valid) const {
  for (const auto& [key, _] : j_.items())
    ABLATE_USAGE_CHECK(std::find(valid.begin(), valid.end(), key) != valid.end(), where_, ": unknown field '", key,
                       "'; valid fields: ", c10::Join(", ", valid));
}

const nlohmann::json& JsonFields::at(const std::string& key) const {
  auto it = j_.find(key);
  ABLATE_USAGE_CHECK(it != j_.end() && !it->is_null(), path(key), ": missing (a required field)");
  return *it;
}

void JsonFields::wrong(const std::string& key, const std::string& expected, const nlohmann::json& found) const {
  throw UsageError(path(key) + ": expected " + expected + ", found " + json_excerpt(found));
}

void JsonFields::check(bool ok, const std::string& key, const std::string& expected, const nlohmann::json& found) const {
  if (!ok) throw UsageError(path(key) + ": expected " + expected + ", found " + json_excerpt(found));
}

namespace {

bool as_number(const nlohmann::json& v, double& out) {
  if (v.is_number()) {
    out = v.get<double>();
    return true;
  }
  if (v.is_string()) {  // PSNR of identical videos is written as "inf"
    const auto& s = v.get_ref<const std::string&>();
    if (s == "inf" || s == "-inf") {
      out = s == "inf" ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
      return true;
    }
  }
  return false;
}

bool as_integer(const nlohmann::json& v, int64_t& out) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
    out = static_cast<int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    out = v.get<int64_t>();
    return true;
  }
  return false;
}

}  // namespace

std::string JsonFields::string(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_string()) wrong(key, "a string", v);
  return v.get<std::string>();
}

int64_t JsonFields::integer(const std::string& key) const {
  const auto& v = at(key);
  int64_t out = 0;
  if (!as_integer(v, out)) wrong(key, "an integer (64-bit)", v);
  return out;
}

double JsonFields::number(const std::string& key) const {
  const auto& v = at(key);
  double out = 0;
  if (!as_number(v, out)) wrong(key, "a number", v);
  return out;
}

bool JsonFields::boolean(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_boolean()) wrong(key, "true or false", v);
  return v.get<bool>();
}

JsonFields JsonFields::object(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_object()) wrong(key, "an object", v);
  return JsonFields(v, path(key));
}

std::vector<std::string> JsonFields::strings(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_array()) wrong(key, "a list of strings", v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string()) wrong(key + "[" + std::to_string(i) + "]", "a string", v[i]);
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

std::vector<double> JsonFields::numbers(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_array()) wrong(key, "a list of numbers", v);
  std::vector<double> out;
  for (size_t i = 0; i < v.size(); ++i) {
    double x = 0;
    if (!as_number(v[i], x)) wrong(key + "[" + std::to_string(i) + "]", "a number", v[i]);
    out.push_back(x);
  }
  return out;
}

std::vector<int64_t> JsonFields::integers(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_array()) wrong(key, "a list of integers", v);
  std::vector<int64_t> out;
  for (size_t i = 0; i < v.size(); ++i) {
    int64_t x = 0;
    if (!as_integer(v[i], x)) wrong(key + "[" + std::to_string(i) + "]", "an integer (64-bit)", v[i]);
    out.push_back(x);
  }
  return out;
}

std::vector<std::vector<std::string>> JsonFields::string_lists(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_array()) wrong(key, "a list of lists of strings", v);
  std::vector<std::vector<std::string>> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string item = key + "[" + std::to_string(i) + "]";
    if (!v[i].is_array()) wrong(item, "a list of strings", v[i]);
    out.emplace_back();
    for (size_t k = 0; k < v[i].size(); ++k) {
      if (!v[i][k].is_string()) wrong(item + "[" + std::to_string(k) + "]", "a string", v[i][k]);
      out.back().push_back(v[i][k].get<std::string>());
    }
  }
  return out;
}

std::map<std::string, std::string> JsonFields::string_map(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_object()) wrong(key, "an object of strings", v);
  std::map<std::string, std::string> out;
  for (const auto& [k, e] : v.items()) {
    if (!e.is_string()) throw UsageError(path(key) + "." + k + ": expected a string, found " + json_excerpt(e));
    out[k] = e.get<std::string>();
  }
  return out;
}

std::map<std::string, double> JsonFields::number_map(const std::string& key) const {
  const auto& v = at(key);
  if (!v.is_object()) wrong(key, "an object of numbers", v);
  std::map<std::string, double> out;
  for (const auto& [k, e] : v.items()) {
    double x = 0;
    if (!as_number(e, x)) throw UsageError(path(key) + "." + k + ": expected a number, found " + json_excerpt(e));
    out[k] = x;
  }
  return out;
}

std::string JsonFields::string_or(const std::string& key, const std::string& fallback) const {
  return has(key) ? string(key) : fallback;
}
int64_t JsonFields::integer_or(const std::string& key, int64_t fallback) const {
  return has(key) ? integer(key) : fallback;
}
double JsonFields::number_or(const std::string& key, double fallback) const { return has(key) ? number(key) : fallback; }
bool JsonFields::boolean_or(const std::string& key, bool fallback) const { return has(key) ? boolean(key) : fallback; }
std::optional<double> JsonFields::optional_number(const std::string& key) const {
  return has(key) ? std::optional<double>(number(key)) : std::nullopt;
}
std::optional<int64_t> JsonFields::optional_integer(const std::string& key) const {
  return has(key) ? std::optional<int64_t>(integer(key)) : std::nullopt;
}
std::optional<bool> JsonFields::optional_boolean(const std::string& key) const {
  return has(key) ? std::optional<bool>(boolean(key)) : std::nullopt;
}

}  // namespace ablate
