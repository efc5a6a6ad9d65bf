// `ablate search` over the runner: the candidates (every searchable strategy's last value, or the
// ones given), earlier measurements of a resumed search, one matrix per evaluated stack appended to
// one ledger (rank 0 tells the other ranks which), and the outputs: search.md, search.json and a
// journal entry. With halving, each greedy round is decided by successive halving (every round
// recorded); with tier B allowed, the outputs add the speed/quality Pareto front of the measured
// stacks, each with its bound (research/search_rounds.h).
#pragma once
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/dist/world.h"
#include "experiments/runner/ledger_record.h"
#include "experiments/runner/matrix_spec.h"
#include "experiments/stats/search.h"

namespace ablate {

struct SearchSessionOptions {
  std::string matrix;                   // spec whose workload, warm-up and repetitions are used
  std::vector<std::string> candidates;  // name=value; default: every searchable strategy's last value
  bool allow_tier_b = false, measure_noise_floor = false, resume = false;
  bool halving = false;                 // successive halving (stats/successive_halving.h) instead of
                                        // the fixed repetitions per candidate
  int max_evaluations = 0;
  double max_cv = 0.05, noise_floor_ms = 0, time_budget_s = 0;
  int64_t repetitions = -1;             // overrides the spec's
  std::string out = "out/search";
  std::string journal, hypothesis;
};

// Runs the search (rank 0) or follows rank 0's stacks (the other ranks); the process exit code.
int run_search_session(const SearchSessionOptions& options);

}  // namespace ablate
