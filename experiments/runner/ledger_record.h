// One combination's result as the ledger keeps it: what ran, how it measured and how the gate judged
// it. Only ledger_record.cpp turns records into JSON and back; every reader (reports, compare,
// search, journal, resume) uses these fields. Schema versions: ablate.ledger/1 (read) and
// ablate.ledger/2 (read; adds per-request hashes, per-rank hashes and latency) and ablate.ledger/3
// (read and written; adds where a record ran: partition, device, and the adaptive stopping point;
// and the gate's latent relative L2 and worst-frame PSNR, and their bounds).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "experiments/gate/gate.h"
#include "profiling/gpu_clocks.h"

namespace ablate {

constexpr const char* kLedgerSchema = "ablate.ledger/3";
constexpr int kLedgerSchemaVersion = 3;

enum class RecordStatus { kOk, kSkipped, kError };
const char* record_status_name(RecordStatus s);  // "ok" | "skipped" | "error"

struct SampleStats {  // of samples_ms
  double median = 0, mean = 0, stddev = 0, cv = 0, min = 0, max = 0, ci_low = 0, ci_high = 0;
};

struct CollectiveRow {  // per generate(), averaged over the timed runs (collective_bandwidth.h)
  int64_t calls = 0;
  int64_t bytes = 0;
  double ms = 0;
  std::optional<double> algbw_gbps, busbw_gbps, share;
};

struct SyncCounts {
  int64_t total = 0;          // device -> host reads that synchronize
  int64_t dit = 0;            // the part inside DiT forwards
  int64_t host_metadata = 0;  // reads of host-side metadata tensors (no GPU sync)
  std::optional<int64_t> cuda_sync_debug;  // CUDA's own count (sync audit), when measured
};

// Adaptive repetitions (stats/sequential.h): the rule and where it stopped measuring.
struct AdaptiveStop {
  std::string rule;               // stats::sequential_rule_summary
  int64_t max_repetitions = 0;    // the rule's maximum
  int64_t stopped_at = 0;         // timed repetitions measured
  int64_t look = 0, looks = 0;    // the look that decided (1-based) of the schedule's
  std::string verdict;            // FASTER / SLOWER / SAME / AMBIGUOUS at the stop; "reference" for the baseline
  std::string reason;             // one line: the rule that decided
};

struct LedgerRecord {
  // ~~~ the run (the same in every record of one run) ~~~
  int schema_version = kLedgerSchemaVersion;
  std::string matrix, mode, fingerprint_key, command;
  nlohmann::json workload = nlohmann::json::object();     // the workload as run (resolved sizes, dtype, world)
  nlohmann::json environment = nlohmann::json::object();  // versions, git commit, device
  nlohmann::json fingerprint = nlohmann::json::object();  // determinism fingerprint
  nlohmann::json spec = nlohmann::json::object();         // the matrix spec
  int64_t warmup = 0, repetitions = 0, dit_forwards_expected = 0;

  // ~~~ the combination ~~~
  std::string combination = "baseline";  // id, "a=v+b=w"
  std::string stage;                     // the row label of stack modes
  std::map<std::string, std::string> strategies;
  std::string tier = "A";
  RecordStatus status = RecordStatus::kOk;
  std::string reason;                    // skipped / error: why

  // ~~~ where it ran (schema 3) ~~~
  std::string partition;             // `run --partition K/N`: "K/N" ("" = the whole matrix)
  bool partition_reference = false;  // a job's own run of a combination another job owns (the
                                     // baseline, for its gate and verdicts); `ablate merge` drops it
  std::string device;                // `run --devices`: the device slot that measured it ("" = the only one)
  std::optional<AdaptiveStop> adaptive;  // adaptive repetitions: the rule and its stopping point

  // ~~~ measurements (status ok) ~~~
  std::vector<double> samples_ms;           // what a user waits for, per timed generate()
  // generate() alone, when a sample is not one: it includes a rebuild, or it is a batch's time per
  // request (generate() / requests per generate())
  std::vector<double> generate_samples_ms;
  std::optional<double> cold_ms;            // the first generate() after a build
  double build_ms = 0, install_ms = 0;
  std::optional<SampleStats> stats;
  std::map<std::string, double> phases_ms;  // median per phase label
  std::map<std::string, CollectiveRow> collectives;
  double nccl_ms = 0;
  std::optional<SyncCounts> syncs;
  std::vector<int64_t> peak_memory_bytes;   // per rank
  int64_t dit_forwards = 0;
  std::string md5;                          // request 0's uint8 video MD5
  bool md5_stable = true;                   // every request's MD5 the same in every cycle
  std::string hash_chain_head;
  std::vector<std::string> request_md5s;    // unique workloads: MD5 per request of the cycle
  std::vector<std::string> rank_latent_md5s;  // MD5 of each rank's final latents (request 0)
  std::map<std::string, double> latency_ms;   // time to first chunk / frame (medians)
  std::vector<ClockWindow> gpu_clocks;        // rank 0's GPU per timed repetition (empty: no NVML)
  nlohmann::json counters = nlohmann::json::object();  // strategy -> its counters

  // ~~~ the gate and validity ~~~
  GateFindings gate;
  std::string validity;  // VALID | INVALID ("" when not judged)
  std::vector<std::string> invalid_reasons, warnings;

  bool ok() const { return status == RecordStatus::kOk; }
  // The median of samples_ms (stats when present); 0 without samples.
  double median_ms() const;

  nlohmann::json to_json() const;
  void write_gate_fields(nlohmann::json& j) const;  // the gate's findings (to_json)
  // UsageError naming `where` (file:line) and the field for anything that is not a record.
  static LedgerRecord from_json(const nlohmann::json& j, const std::string& where);
};

}  // namespace ablate
