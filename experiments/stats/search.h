// Greedy stacking search over named candidate strategies: from the unoptimized baseline, each round
// measures the current best stack plus each remaining candidate and keeps the one with the largest
// significant gain (verdict FASTER against the current best, noise floor included), until nothing
// helps or the budget runs out. Returns the chain table and every evaluation.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "experiments/stats/verdict.h"

namespace ablate::stats {

// Samples (ms, lower is better) of one measured stack, in the order the names were added.
using Evaluate = std::function<std::vector<double>(const std::vector<std::string>& stack)>;
// Seconds on a monotonic clock (injectable so tests and replays control time).
using Clock = std::function<double()>;

// Exactness tier (DESIGN.md): A = bit-identical output, B = approximate within stated bounds.
enum class Tier { kA, kB };
const char* tier_name(Tier t);  // "A" | "B"

struct Candidate {
  // Why a candidate may not join `stack` (e.g. "needs world_size > 1"); empty = allowed.
  using Validate = std::function<std::string(const std::vector<std::string>& stack)>;

  Candidate(std::string name_, Tier tier_ = Tier::kA, Validate validate_ = {})
      : name(std::move(name_)), tier(tier_), validate(std::move(validate_)) {}

  std::string name;
  Tier tier = Tier::kA;
  Validate validate;  // asked every round (compatibility may depend on the stack); unset = allowed
};

struct SearchOptions {
  // clang-format off
  Thresholds thresholds{};           // verdict rules; thresholds.noise_floor_ms from an A/A run
  ValidityLimits limits{};           // an INVALID measurement is never kept
  bool allow_tier_b        = false;  // admit tier-B candidates (--allow-tier-b)
  bool measure_noise_floor = false;  // measure the baseline twice first and raise the noise floor
                                     // to noise_floor(first, second) when that is larger
  int max_evaluations      = 0;      // Evaluate calls allowed, baseline included; 0 = unlimited
  double time_budget_s     = 0.0;    // stop starting evaluations after this long; 0 = unlimited
  Clock clock;                       // required when time_budget_s > 0
  // Optional gate facts for the stack just measured (MD5 gate, rank error), asked right after its
  // Evaluate call so the caller can report what that run saw.
  std::function<ResultFlags(const std::vector<std::string>& stack)> result_flags;
  // clang-format on
};

struct Evaluation {
  int round = 0;                   // 0 = baseline (and its A/A repeat), then 1, 2, ...
  std::vector<std::string> stack;  // what was measured
  std::string added;               // the candidate tried this round; empty for the baseline
  std::vector<double> samples;
  double median_ms = 0.0;
  ValidityReport validity;
  Comparison vs_best;              // against the best stack before this round (not for round 0)
};

// One row of the PR-style chain table. Ratios are speed-ups: reference median / this median.
struct ChainRow {
  std::string stage;               // "baseline" or the added candidate's name
  std::vector<std::string> stack;
  double median_ms = 0.0;
  double vs_unoptimized = 1.0;     // baseline median / this median
  double vs_prior = 1.0;           // previous row's median / this median
  Verdict verdict = Verdict::kSame;  // against the previous row (kSame for the baseline)
  double p_value = 1.0;
};

struct Skip {
  int round = 0;
  std::string name;
  std::string reason;  // "tier B not allowed" or the candidate's validate() reason
};

enum class StopReason { kNothingHelps, kCandidatesExhausted, kEvaluationBudget, kTimeBudget, kBaselineInvalid };
const char* stop_reason_name(StopReason r);

struct SearchResult {
  std::vector<ChainRow> chain;          // baseline first, then one row per kept candidate
  std::vector<std::string> best_stack;  // the last row's stack
  std::vector<Evaluation> evaluations;  // every Evaluate call, in order
  std::vector<Skip> skipped;
  double noise_floor_ms = 0.0;          // the floor the verdicts used
  StopReason stop = StopReason::kNothingHelps;
};

// Runs the search. Ties in gain keep the earlier candidate (input order). When a budget runs out
// mid-round, the round's FASTER candidates measured so far still compete, then the search stops.
// The best stack's samples are reused as the reference for the next round (no re-measurement).
// Throws std::invalid_argument on duplicate candidate names or a time budget without a clock.
SearchResult greedy_search(const std::vector<Candidate>& candidates, const Evaluate& evaluate,
                           const SearchOptions& options = {});

// | stage | ms | vs unoptimized | vs prior | verdict | table, ratios as "1.23x", ms with 1 decimal.
std::string chain_table_markdown(const std::vector<ChainRow>& chain);

}  // namespace ablate::stats
