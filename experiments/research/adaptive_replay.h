// How adaptive repetitions (runner/adaptive.h) would have decided on measured ledgers: a seeded
// simulation built from each ledger's samples. For every candidate record (and an A/A pair of each
// baseline with itself) it draws `repetitions` samples per side from a smoothed bootstrap of the
// recorded samples (a resample plus Gaussian jitter of bandwidth stddev * n^(-1/5), so five
// recorded samples give a continuous distribution of their location and spread), then compares the
// fixed protocol (compare() on all of them) with the sequential rule replayed over the same
// samples. Reports the agreement of the verdicts, the repetitions the rule used, and the A/A
// pairs' verdicts (which must not come out FASTER or SLOWER beyond the rule's alpha).
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "experiments/runner/adaptive.h"
#include "experiments/runner/ledger_record.h"

namespace ablate {

struct AdaptiveSimOptions {
  int trials = 20;        // simulated runs per pair
  int repetitions = 20;   // the fixed protocol's repetitions = the rule's maximum
  int min_samples = 3;    // pairs whose records hold fewer samples are left out
  uint64_t seed = 1;
  AdaptiveProtocol protocol;  // rule.max_repetitions is set to `repetitions`
};

struct VerdictCounts {
  int faster = 0, slower = 0, same = 0, ambiguous = 0;
  void add(stats::Verdict v);
  int total() const { return faster + slower + same + ambiguous; }
};

struct AdaptivePair {
  std::string ledger, combination;  // combination "baseline (A/A)" for a baseline against itself
  bool aa = false;
  int recorded_baseline = 0, recorded_candidate = 0;  // samples in the ledger
  std::string recorded_verdict;     // compare() on the recorded samples
  VerdictCounts fixed, adaptive;    // over the trials
  int agree = 0;                    // trials where both verdicts are equal
  double repetitions = 0;           // mean candidate repetitions the rule used
};

struct AdaptiveSimResult {
  std::vector<AdaptivePair> pairs;
  int trials = 0, agree = 0;        // every pair's trials
  double mean_repetitions = 0;      // of the rule, over every trial (the fixed protocol: options.repetitions)
  VerdictCounts aa_fixed, aa_adaptive;
  std::string rule;                 // the rule's summary
};

// `ledgers`: (name, records). Pairs within one fingerprint: each ok candidate with that
// fingerprint's ok baseline record (mode aa: baseline#2 with baseline is a real A/A pair).
AdaptiveSimResult simulate_adaptive(const std::vector<std::pair<std::string, std::vector<LedgerRecord>>>& ledgers,
                                    const AdaptiveSimOptions& options);

// A Markdown table of the pairs and the totals.
std::string adaptive_sim_markdown(const AdaptiveSimResult& result, const AdaptiveSimOptions& options);

}  // namespace ablate
