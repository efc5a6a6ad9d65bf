// Checked reads of ledger record fields.
#include "experiments/runner/ledger_view.h"

#include <algorithm>
#include <stdexcept>

#include "experiments/stats/statistics.h"

namespace ablate {
namespace {

using nlohmann::json;

[[noreturn]] void wrong_type(const json& record, const std::string& key, const char* expected, const json& found) {
  const std::string name = record.is_object() && record.contains("combination") && record["combination"].is_string()
                               ? record["combination"].get<std::string>()
                               : std::string("?");
  throw std::invalid_argument("ledger record '" + name + "': expected " + expected + " for " + key + ", but got " +
                              found.dump());
}

const json* field(const json& record, const char* key) {
  if (!record.is_object()) wrong_type(record, key, "an object record", record);
  const auto it = record.find(key);
  return it == record.end() || it->is_null() ? nullptr : &*it;
}

std::optional<double> number_in(const json& record, const json& parent, const std::string& key,
                                const std::string& path) {
  const auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return std::nullopt;
  if (!it->is_number()) wrong_type(record, path, "a number", *it);
  return it->get<double>();
}

}  // namespace

std::optional<double> ledger_number(const json& record, const char* key) {
  const json* v = field(record, key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number()) wrong_type(record, key, "a number", *v);
  return v->get<double>();
}

std::string ledger_string(const json& record, const char* key) {
  const json* v = field(record, key);
  if (v == nullptr) return "";
  if (!v->is_string()) wrong_type(record, key, "a string", *v);
  return v->get<std::string>();
}

LedgerTimes ledger_times(const json& record) {
  LedgerTimes t;
  std::vector<double> samples;
  if (const json* s = field(record, "samples_ms")) {
    if (!s->is_array()) wrong_type(record, "samples_ms", "an array of numbers", *s);
    for (const json& v : *s) {
      if (!v.is_number()) wrong_type(record, "samples_ms", "an array of numbers", *s);
      samples.push_back(v.get<double>());
    }
  }
  t.samples = samples.size();
  if (!samples.empty()) {
    t.median = stats::median(samples);
    t.min = *std::min_element(samples.begin(), samples.end());
    t.max = *std::max_element(samples.begin(), samples.end());
    t.cv = stats::cv(samples);
  }
  // The runner's own stats win: they may come from more data than the samples kept here.
  if (const json* st = field(record, "stats")) {
    if (!st->is_object()) wrong_type(record, "stats", "an object", *st);
    if (auto v = number_in(record, *st, "median", "stats.median")) t.median = v;
    if (auto v = number_in(record, *st, "min", "stats.min")) t.min = v;
    if (auto v = number_in(record, *st, "max", "stats.max")) t.max = v;
    if (auto v = number_in(record, *st, "cv", "stats.cv")) t.cv = v;
  }
  return t;
}

std::vector<std::pair<std::string, double>> ledger_breakdown(const json& record, const char* key,
                                                             const char* sub) {
  std::vector<std::pair<std::string, double>> out;
  const json* obj = field(record, key);
  if (obj == nullptr) return out;
  if (!obj->is_object()) wrong_type(record, key, "an object", *obj);
  for (auto it = obj->begin(); it != obj->end(); ++it) {
    const std::string path = std::string(key) + "." + it.key();
    std::optional<double> v;
    if (sub == nullptr) {
      v = number_in(record, *obj, it.key(), path);
    } else {
      if (!it->is_object()) wrong_type(record, path, "an object", *it);
      v = number_in(record, *it, sub, path + "." + sub);
    }
    if (v) out.emplace_back(it.key(), *v);
  }
  return out;
}

std::optional<std::pair<double, size_t>> ledger_peak_memory(const json& record) {
  const json* v = field(record, "peak_memory_bytes");
  if (v == nullptr) return std::nullopt;
  if (v->is_number()) return std::make_pair(v->get<double>(), size_t(1));
  if (!v->is_array()) wrong_type(record, "peak_memory_bytes", "a number or an array of numbers", *v);
  std::optional<double> peak;
  for (const json& b : *v) {
    if (!b.is_number()) wrong_type(record, "peak_memory_bytes", "a number or an array of numbers", *v);
    peak = std::max(peak.value_or(0.0), b.get<double>());
  }
  if (!peak) return std::nullopt;
  return std::make_pair(*peak, v->size());
}

}  // namespace ablate
