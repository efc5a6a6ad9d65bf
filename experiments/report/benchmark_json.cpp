// Ledger records -> Google Benchmark JSON: iteration entries per sample, then GB's aggregates.
#include "experiments/report/benchmark_json.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "experiments/stats/statistics.h"

namespace ablate {
namespace {

using nlohmann::json;

// The record's samples; throws unless there are some and as many as its repetitions (or its
// adaptive stopping point).
const std::vector<double>& samples_of(const LedgerRecord& record) {
  const std::string what = "benchmark_json: record '" + record.combination + "'";
  if (record.samples_ms.empty())
    throw std::invalid_argument(what + ": expected a non-empty samples_ms array for status ok, but got none");
  // adaptive repetitions stop a combination early: its stopping point is its count
  const int64_t expected = record.adaptive ? record.adaptive->stopped_at : record.repetitions;
  if (expected > 0 && expected != static_cast<int64_t>(record.samples_ms.size()))
    throw std::invalid_argument(what + ": expected " + std::to_string(expected) + " samples (its " +
                                (record.adaptive ? "adaptive stopping point" : "repetitions") + "), but got " +
                                std::to_string(record.samples_ms.size()));
  return record.samples_ms;
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
json default_context(const LedgerRecord* first_ok) {
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
  const json& env = first_ok->environment;
  for (auto it = env.begin(); it != env.end(); ++it) context[it.key()] = it.value();
  // GB's values are lower case ("release" / "debug"); CMake's are capitalised
  if (env.contains("build_type") && env["build_type"].is_string())
    context["library_build_type"] = lower(env["build_type"].get<std::string>());
  context["ledger_schema"] = "ablate.ledger/" + std::to_string(first_ok->schema_version);
  context["matrix"] = first_ok->matrix;
  context["workload"] = first_ok->workload;
  return context;
}

}  // namespace

json benchmark_json(const std::vector<LedgerRecord>& records, const json& context) {
  if (!context.is_null() && !context.is_object()) {
    throw std::invalid_argument("benchmark_json: expected the context to be an object or null, but got " +
                                context.dump());
  }
  json benchmarks = json::array();
  const LedgerRecord* first_ok = nullptr;
  int64_t family_index = 0;
  for (const auto& record : records) {
    if (!record.ok()) continue;  // skipped / error: nothing was timed
    if (first_ok == nullptr) first_ok = &record;
    const std::vector<double>& samples = samples_of(record);
    const json base = family_entry("generate/" + record.combination, family_index++, samples.size());
    // one GPU clock window per repetition (NVML): its SM clock and power as GB user counters
    const bool clocks = record.gpu_clocks.size() == samples.size();
    for (size_t i = 0; i < samples.size(); ++i) {
      json entry = base;
      entry["run_type"] = "iteration";
      entry["repetition_index"] = i;
      entry["iterations"] = 1;
      entry["real_time"] = samples[i];
      entry["cpu_time"] = samples[i];
      entry["time_unit"] = "ms";
      if (clocks && record.gpu_clocks[i].clock_samples > 0) {
        entry["sm_mhz_mean"] = record.gpu_clocks[i].sm_mhz_mean;
        entry["sm_mhz_min"] = record.gpu_clocks[i].sm_mhz_min;
        if (record.gpu_clocks[i].power_w_max >= 0) entry["power_w_max"] = record.gpu_clocks[i].power_w_max;
      }
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
