// The experiment runner: runs a matrix under the measurement protocol (DESIGN.md §4) and writes
// one ledger record per combination.
//  - rank 0 decides the counts and the combinations to run and broadcasts them; every rank runs
//    the same fixed sequence with a barrier before each generate();
//  - combinations that share a build key share one engine; within it, rounds of the combinations
//    in a seeded shuffled order (interleaved, so drift spreads over all of them); the first round(s)
//    are warm-up, the very first generate() after a build is that combination's cold sample;
//  - a unique workload's requests cycle in the same order for every combination: the gate and
//    the stability check compare request k with request k;
//  - the timed region holds CUDA events per phase and a host clock around generate(); hashes,
//    reductions and statistics come after it;
//  - invalid combinations are recorded as skipped with the strategy's reason.
// The steps (run_steps.h): open the run, plan it, and per engine group build, measure, audit and
// record.
#pragma once
#include <nlohmann/json.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "experiments/gate/baseline.h"
#include "experiments/runner/adaptive.h"
#include "experiments/runner/ledger_record.h"
#include "experiments/runner/matrix_spec.h"
#include "experiments/runner/partition.h"

namespace ablate {

struct RunnerOptions {
  std::string ledger_path;           // JSONL, one record per combination ("" = none)
  bool resume = false;               // skip combinations the ledger already has (ok or skipped)
  bool append = false;               // append to an existing ledger without skipping anything; both
                                     // gate against the baseline record the ledger already holds
  std::optional<BaselineFile> baseline;  // gate: MD5s / hash chains / video against a locked entry
  bool audit_syncs = true;           // on CUDA: one extra untimed generate() with sync debugging
  bool keep_video = false;           // keep the baseline combination's video (for `ablate lock`)
  // Lock the baseline combination's outputs (video, final latents) beside the ledger
  // (ledger_baseline_path), so that a resumed or appended run judges tier-B combinations by their
  // distance to them: kWhenTierB when the matrix holds a tier-B combination; kAlways for a caller
  // whose later runs may (the search).
  enum class LedgerLock { kNever, kWhenTierB, kAlways } ledger_lock = LedgerLock::kWhenTierB;
  int max_group_size = 0;            // at most this many combinations share one engine (0 = no
                                     // limit): balanced parts (engine_parts.h) that a time budget
                                     // can fall between
  double time_budget_s = 0;          // start no engine group after this long (0 = none); the groups
                                     // left are for a later --resume (a matrix spanning calls)
  std::optional<AdaptiveProtocol> adaptive;  // adaptive repetitions: stop a combination once decided
  std::string device_label;          // `run --devices`: this process's device, recorded in every record
  Partition partition;               // --partition K/N: run only job K's engine groups (partition.h)
  int debug_perturb_rank = -1;       // test hook: this rank's final latents are changed before hashing
  std::ostream* progress = nullptr;  // progress lines (rank 0); null = std::cerr
};

struct RunnerResult {
  std::vector<LedgerRecord> records;  // this run's records (rank 0), in execution order
  int gate_failures = 0;              // the gate's rule failed (tier A mismatch, tier-B bound, rank error)
  int errors = 0;
  int groups_left = 0;                // engine groups not started: the time budget ran out
  nlohmann::json fingerprint;
  // the baseline combination's outputs (keep_video): request 0's video, every request's MD5 and chain
  torch::Tensor baseline_video;
  torch::Tensor baseline_latents;  // request 0's final latents, float32 on the CPU
  std::vector<std::string> baseline_md5s;
  std::vector<std::vector<std::string>> baseline_chains;
  int64_t steps_per_chunk = 4;
};

RunnerResult run_matrix(const MatrixSpec& spec, const RunnerOptions& options);

// The determinism fingerprint a run of `spec` in this process (device, world size from the
// environment) has; sets the determinism flags first, as run_matrix does.
nlohmann::json run_fingerprint(const MatrixSpec& spec);

}  // namespace ablate
