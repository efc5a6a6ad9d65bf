// Ledger records -> Google Benchmark JSON: iteration entries per sample, then GB's aggregates.
#include "experiments/report/benchmark_json.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "experiments/stats/statistics.h"

namespace ablate {
namespace {

using nlohmann::json;

std::string record_name(const json& record) {
  return record.value("combination", std::string("?"));
}

// The record's samples; throws unless it holds a non-empty array of numbers.
std::vector<double> samples_of(const json& record) {
  const std::string what = "benchmark_json: record '" + record_name(record) + "'";
  const auto it = record.find("samples_ms");
  if (it == record.end() || !it->is_array() || it->empty()) {
    throw std::invalid_argument(what + ": expected a non-empty samples_ms array for status ok, but got " +
                                (it == record.end() ? std::string("none") : it->dump()));
  }
  std::vector<double> samples;
  for (const json& s : *it) {
    if (!s.is_number()) throw std::invalid_argument(what + ": expected numeric samples_ms, but got " + s.dump());
    samples.push_back(s.get<double>());
  }
  const auto reps = record.find("repetitions");
  if (reps != record.end() && reps->is_number_integer() && reps->get<int64_t>() != int64_t(samples.size())) {
    throw std::invalid_argument(what + ": expected " + std::to_string(reps->get<int64_t>()) +
                                " samples (its repetitions), but got " + std::to_string(samples.size()));
  }
  return samples;
}

// Fields every entry of one family shares, in the order GB writes them.
json family_entry(const std::string& name, int64_t family_index, size_t repetitions) {
  return json{{"name", name},
              {"family_index", family_index},
              {"per_family_instance_index", 0},
              {"run_name", name},
              {"repetitions", repetitions},
              {"threads", 1}};
}

// GB computes aggregates only for 2+ repetitions; cv is stddev / mean as a fraction, which GB
// labels aggregate_unit "percentage" (its console shows it as %).
void append_aggregates(json& out, const json& base, const std::vector<double>& x) {
  struct Aggregate {
    const char* name;
    const char* unit;
    double value;
  };
  const Aggregate aggregates[] = {{"mean", "time", stats::mean(x)},
                                  {"median", "time", stats::median(x)},
                                  {"stddev", "time", stats::stddev(x)},
                                  {"cv", "percentage", stats::cv(x)}};
  for (const Aggregate& a : aggregates) {
    json entry = base;
    entry["name"] = base["name"].get<std::string>() + "_" + a.name;
    entry["run_type"] = "aggregate";
    entry["aggregate_name"] = a.name;
    entry["aggregate_unit"] = a.unit;
    entry["iterations"] = x.size();
    entry["real_time"] = a.value;
    entry["cpu_time"] = a.value;
    entry["time_unit"] = "ms";
    out.push_back(std::move(entry));
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// GB's keys with neutral values, then what the ledger knows about the run.
json default_context(const json* first_ok) {
  json context = {{"date", ""},
                  {"host_name", ""},
                  {"executable", "ablate"},
                  {"num_cpus", 0},
                  {"mhz_per_cpu", 0},
                  {"cpu_scaling_enabled", false},
                  {"caches", json::array()},
                  {"load_avg", json::array()},
                  {"library_build_type", "release"},
                  {"json_schema_version", 1}};
  if (first_ok == nullptr) return context;
  const auto env = first_ok->find("environment");
  if (env != first_ok->end() && env->is_object()) {
    for (auto it = env->begin(); it != env->end(); ++it) context[it.key()] = it.value();
    // GB's values are lower case ("release" / "debug"); CMake's are capitalised
    if (env->contains("build_type") && (*env)["build_type"].is_string()) {
      context["library_build_type"] = lower((*env)["build_type"].get<std::string>());
    }
  }
  for (const char* key : {"schema", "matrix", "workload"}) {
    if (first_ok->contains(key)) context[std::string(key) == "schema" ? "ledger_schema" : key] = (*first_ok)[key];
  }
  return context;
}

}  // namespace

json benchmark_json(const std::vector<json>& records, const json& context) {
  if (!context.is_null() && !context.is_object()) {
    throw std::invalid_argument("benchmark_json: expected the context to be an object or null, but got " +
                                context.dump());
  }
  json benchmarks = json::array();
  const json* first_ok = nullptr;
  int64_t family_index = 0;
  for (const json& record : records) {
    if (!record.is_object()) {
      throw std::invalid_argument("benchmark_json: expected each record to be an object, but got " + record.dump());
    }
    if (record.value("status", std::string()) != "ok") continue;  // skipped / error: nothing was timed
    if (!record.contains("combination") || !record["combination"].is_string()) {
      throw std::invalid_argument("benchmark_json: expected an ok record to name its combination, but got " +
                                  record.dump());
    }
    if (first_ok == nullptr) first_ok = &record;
    const std::vector<double> samples = samples_of(record);
    const json base = family_entry("generate/" + record_name(record), family_index++, samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
      json entry = base;
      entry["run_type"] = "iteration";
      entry["repetition_index"] = i;
      entry["iterations"] = 1;
      entry["real_time"] = samples[i];
      entry["cpu_time"] = samples[i];
      entry["time_unit"] = "ms";
      benchmarks.push_back(std::move(entry));
    }
    if (samples.size() >= 2) append_aggregates(benchmarks, base, samples);
  }
  json merged = default_context(first_ok);
  if (context.is_object()) {
    for (auto it = context.begin(); it != context.end(); ++it) merged[it.key()] = it.value();
  }
  return json{{"context", merged}, {"benchmarks", benchmarks}};
}

}  // namespace ablate
