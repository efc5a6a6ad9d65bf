// The named steps of run_matrix() (runner.h): open the run, plan it, then per engine group build the
// engine, measure the rounds, audit syncs and record. Internal to the runner; tests use them too.
#pragma once
#include <chrono>
#include <iosfwd>
#include <memory>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/dist/communicator.h"
#include "core/dist/world.h"
#include "experiments/gate/gate.h"
#include "experiments/runner/combinations.h"
#include "experiments/runner/engine.h"
#include "experiments/runner/ledger.h"
#include "experiments/runner/measure.h"
#include "experiments/runner/runner.h"
#include "experiments/stats/sequential.h"

namespace ablate {

// What stays fixed for a whole run.
struct RunContext {
  RunContext(const MatrixSpec& s, const RunnerOptions& o, std::ostream& p) : spec(s), options(o), progress(p) {}
  const MatrixSpec& spec;
  const RunnerOptions& options;
  std::ostream& progress;
  dist::WorldInfo world;
  torch::Device device = torch::kCPU;
  bool report = true;                         // rank 0: prints, hashes videos, writes records
  std::unique_ptr<dist::Communicator> comm;   // world > 1
  VideoGeometry geometry;
  int64_t cycle = 1;                          // requests per cycle
  GenerateInputs inputs;                      // the workload's input files, read once
  LedgerRecord common;                        // every record's run fields
  GateReference reference;                    // what the gate compares with (set by the baseline when empty)
  bool lock_reference = false;                // rank 0: lock the baseline's outputs beside the ledger
  std::string lock_unread;                    // why the ledger's lock gave no reference (resume / append)
  std::vector<double> baseline_samples;       // adaptive: the baseline's samples (this run's or the ledger's)
  std::unique_ptr<LedgerWriter> ledger;
  std::set<std::string> finished;             // --resume: combinations the ledger has
  std::set<std::string> partition_references; // --partition: combinations run only as this job's reference
  std::chrono::steady_clock::time_point begin = std::chrono::steady_clock::now();
  int64_t runs_done = 0, total_runs = 0;
};

// Which combinations run, with how many runs, in which engine groups.
struct RunPlan {
  int64_t warmup = 0, repetitions = 0;
  std::vector<Combination> combos;
  std::vector<std::vector<size_t>> groups;  // indices into combos: engine groups in run order
};

// One combination's measurements while its group runs.
struct Accumulator {
  Combination combo;
  size_t slot = 0;
  std::vector<double> samples, generate_samples;
  std::optional<double> cold_ms;
  std::map<std::string, std::vector<double>> phases, latency;
  std::map<std::string, CollectiveRow> collectives;  // summed over timed runs
  int timed_runs = 0;
  GateCandidate output;                      // per request of the cycle (first occurrence)
  std::vector<std::string> unstable;         // "request k changed between cycles"
  SyncCounts syncs;
  std::vector<int64_t> peak_per_rank;
  int64_t forwards = 0;
  double build_ms = 0, install_ms = 0;
  nlohmann::json counters = nlohmann::json::object();
  std::string error;
  std::optional<stats::SequentialDecision> stop;  // adaptive: the decision that ended its measurements
  std::vector<ClockWindow> clocks;                // per timed run: this rank's GPU clocks
};

// ~~~ the steps ~~~
// Checks the input, meets the other ranks, reads the reference and opens the ledger.
std::unique_ptr<RunContext> open_run(const MatrixSpec& spec, const RunnerOptions& options, std::ostream& progress);
// Expands the matrix, agrees on the counts with the other ranks, records the skipped combinations
// and groups the rest by engine (the baseline's first, the others in seeded order).
RunPlan plan_run(RunContext& ctx, RunnerResult& result);
// True when the time budget is spent before group `g` (rank 0's clock decides for every rank).
bool budget_spent(RunContext& ctx, size_t g);
// Builds the group's engine and measures its rounds (warm-up and timed), interleaved.
std::vector<Accumulator> measure_group(RunContext& ctx, const RunPlan& plan, size_t group_index,
                                       std::mt19937_64& rng, Engine& engine);
// CUDA's own sync count per combination in one extra untimed generate().
void audit_syncs(RunContext& ctx, Engine& engine, std::vector<Accumulator>& accs);
// The group's records: statistics, the gate, validity; written to the ledger.
void record_group(RunContext& ctx, std::vector<Accumulator>& accs, RunnerResult& result);
// Adaptive repetitions after a timed round (adaptive_steps.cpp): rank 0 asks the sequential rule
// about every combination still measuring (the baseline never stops) and every rank learns which
// stop. False when none of the group is left to measure.
bool decide_stops(RunContext& ctx, std::vector<Accumulator>& accs, int64_t rounds_left);
// Adaptive repetitions: the rule and where it stopped in the record; the baseline's samples kept
// as the reference of the groups after it.
void record_adaptive(RunContext& ctx, const Accumulator& a, LedgerRecord& r);
// One record for a combination that did not run (skipped, or failed as a whole).
LedgerRecord base_record(const RunContext& ctx, const Combination& c);

}  // namespace ablate
