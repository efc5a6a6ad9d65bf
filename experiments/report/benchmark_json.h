// Google Benchmark JSON from ledger records, so GB's tools (compare.py) can diff two runner
// ledgers the way they diff two `--benchmark_format=json --benchmark_repetitions=N` outputs.
#pragma once
#include <nlohmann/json.hpp>

#include "experiments/runner/ledger_record.h"
#include <string>
#include <vector>

namespace ablate {

/// The Google Benchmark 1.7/1.8 JSON document for the "ok" records of a ledger (one record per
/// combination, schema ablate.ledger/1); skipped and error records have no timings and are left out.
/// Each sample in `samples_ms` becomes an "iteration" entry named "generate/<combination>" (one
/// family per combination, time_unit "ms", cpu_time = real_time since host time is what we time),
/// followed, when there are at least 2 samples (as GB does), by its mean / median / stddev / cv
/// aggregates. "context" holds GB's keys (date, host_name, executable, num_cpus, mhz_per_cpu,
/// cpu_scaling_enabled, caches, load_avg, library_build_type, json_schema_version), the first ok
/// record's environment fields, "matrix" and "workload"; the keys of `context` (an object, or null)
/// override all of these: pass benchmark_host_context() there for the machine's facts.
/// Throws std::invalid_argument when an ok record has no samples or its "repetitions" disagrees
/// with its sample count.
nlohmann::json benchmark_json(const std::vector<LedgerRecord>& records, const nlohmann::json& context);

/// GB's context keys read from this machine now: date (local, RFC 3339), host_name, executable,
/// num_cpus, mhz_per_cpu, cpu_scaling_enabled, caches (from sysfs), load_avg.
nlohmann::json benchmark_host_context(const std::string& executable);

}  // namespace ablate
