// Typed reads of one JSON object's fields, for every file the CLI reads (matrix specs, baselines,
// ledgers, noise floors): a missing field, a wrong type or a value out of range is a UsageError
// (exit 2) that names the file, the field path, what was expected and what was found.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace ablate {

class JsonFields {
 public:
  // `where` names the object in messages ("ledger.jsonl:3", "spec.json: workload"); UsageError
  // when `j` is not an object.
  JsonFields(const nlohmann::json& j, std::string where);

  const std::string& where() const { return where_; }
  const nlohmann::json& json() const { return j_; }
  // "<where>.<key>", the path messages name.
  std::string path(const std::string& key) const;
  // Present and not null.
  bool has(const std::string& key) const;
  // Rejects fields outside `valid` (a typo must not be ignored silently).
  void allow_only(const std::vector<std::string>& valid) const;

  // Required fields: UsageError when missing or of another type.
  std::string string(const std::string& key) const;
  int64_t integer(const std::string& key) const;
  double number(const std::string& key) const;  // also "inf" / "-inf" (PSNR of identical videos)
  bool boolean(const std::string& key) const;
  JsonFields object(const std::string& key) const;
  std::vector<std::string> strings(const std::string& key) const;
  std::vector<double> numbers(const std::string& key) const;
  std::vector<int64_t> integers(const std::string& key) const;
  // A list of lists of strings; a wrong element is named "<key>[i]" or "<key>[i][j]".
  std::vector<std::vector<std::string>> string_lists(const std::string& key) const;
  std::map<std::string, std::string> string_map(const std::string& key) const;
  std::map<std::string, double> number_map(const std::string& key) const;

  // Optional fields: the fallback (or nullopt) when missing or null, UsageError for another type.
  std::string string_or(const std::string& key, const std::string& fallback) const;
  int64_t integer_or(const std::string& key, int64_t fallback) const;
  double number_or(const std::string& key, double fallback) const;
  bool boolean_or(const std::string& key, bool fallback) const;
  std::optional<double> optional_number(const std::string& key) const;
  std::optional<int64_t> optional_integer(const std::string& key) const;
  std::optional<bool> optional_boolean(const std::string& key) const;

  // Range checks on a value already read: UsageError "<path>: expected <what>, found <value>".
  void check(bool ok, const std::string& key, const std::string& expected, const nlohmann::json& found) const;

 private:
  const nlohmann::json& at(const std::string& key) const;  // UsageError when missing
  [[noreturn]] void wrong(const std::string& key, const std::string& expected, const nlohmann::json& found) const;

  const nlohmann::json& j_;
  std::string where_;
};

// Runs `read`, which reads fields of `file`'s JSON: an nlohmann::json exception that no typed read
// caught (a type error deep in a value) becomes a UsageError (exit 2) naming the file.
template <class F>
auto guard_json_file(const std::string& file, F&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(file + ": malformed content (" + e.what() + ")");
  }
}

// A JSON value as a message shows it: its dump, cut to `max_chars`.
std::string json_excerpt(const nlohmann::json& v, size_t max_chars = 80);

}  // namespace ablate
