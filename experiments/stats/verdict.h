// Verdicts for benchmark comparisons (lower is better): FASTER / SLOWER / SAME / AMBIGUOUS from a
// Mann-Whitney p-value, relative and absolute thresholds and an A/A noise floor; VALID / INVALID
// per result set with reasons; and the noise floor from A/A samples.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/stats/statistics.h"

namespace ablate::stats {

// Printed as FASTER / SLOWER / SAME / AMBIGUOUS (nvbench-compare-robust's FAST / SLOW / AMBG).
enum class Verdict { kFaster, kSlower, kSame, kAmbiguous };
const char* verdict_name(Verdict v);

// What counts as a real change. A change must clear every threshold at once (FastVideo's perf CI
// needs percent AND absolute; autoresearch#560 adds the A/A noise floor).
struct Thresholds {
  // clang-format off
  double alpha           = 0.05;  // U-test significance (Google Benchmark compare.py's default)
  double rel             = 0.01;  // |median change| / baseline median; 1 % of a multi-second video
  double abs_ms          = 5.0;   // |median change| in ms; below this nobody waits less
  double noise_floor_ms  = 0.0;   // from an A/A run (noise_floor() below); 0 = not measured
  double noise_k         = 1.0;   // require |change| > k * noise floor (the floor already holds a 95 % CI)
  BootstrapOptions bootstrap{};   // CI of the median difference (seeded, so verdicts are reproducible)
  // clang-format on

  // The smallest |median change| in ms that counts: max(rel * baseline, abs_ms, noise_k * floor).
  double practical_ms(double baseline_median_ms) const;
};

struct Comparison {
  double baseline_median_ms = 0.0;
  double candidate_median_ms = 0.0;
  double diff_ms = 0.0;      // candidate - baseline; negative = faster
  double rel = 0.0;          // diff_ms / baseline median
  double ratio = 1.0;        // baseline / candidate median: the speed-up (> 1 = faster)
  double p_value = 1.0;      // two-sided Mann-Whitney (scipy 'auto' rule)
  double u = 0.0;            // U of the baseline sample
  Interval diff_ci;          // bootstrap CI of candidate median - baseline median
  double practical_ms = 0.0; // Thresholds::practical_ms at this baseline
  Verdict verdict = Verdict::kAmbiguous;
  std::string reason;        // one line: which rule decided
};

// Rules, in order:
//   FASTER / SLOWER: p < alpha AND |rel| > rel AND |diff| > abs_ms AND |diff| > noise_k * floor
//                    (sign of diff says which).
//   SAME: the diff CI lies inside [-practical, +practical] (practical equivalence, as in TOST), or
//         p >= alpha, the CI is narrow (half-width <= practical) and |diff| <= practical: nothing
//         was found and anything that could hide in the noise is too small to matter (a large
//         |diff| with few samples, where the U test cannot reach alpha, is AMBIGUOUS).
//   AMBIGUOUS: everything else (a significant but too-small change whose CI reaches past the
//         threshold, or a wide CI): measure more rather than decide.
// Throws std::invalid_argument on an empty sample or a non-positive baseline median.
Comparison compare(const std::vector<double>& baseline, const std::vector<double>& candidate,
                   const Thresholds& thresholds = {});

// A/A noise floor in ms from two sample sets of the same configuration: |median(b) - median(a)|
// plus the half-width of the bootstrap CI of that difference. It bounds (at the CI's confidence)
// how large a median difference pure noise produces on this machine and workload, so a change
// must exceed it to count.
double noise_floor(const std::vector<double>& a, const std::vector<double>& b,
                   const BootstrapOptions& options = {});

// ~~~~~~~~~~ VALID / INVALID ~~~~~~~~~~

enum class Validity { kValid, kInvalid };
const char* validity_name(Validity v);  // VALID / INVALID

struct ValidityLimits {
  // clang-format off
  int min_repetitions         = 5;     // below: INVALID. With 4 vs 4 the smallest exact two-sided
                                       // U-test p is 2/70 = 0.029; fewer can never reach alpha 0.05
  int recommended_repetitions = 9;     // below: a warning (compare.py's UTEST_OPTIMAL_REPETITIONS)
  double max_cv               = 0.05;  // above: INVALID; warm GPU video generation repeats within ~1 %
  // clang-format on
};

// Facts about a result set that the samples alone don't show.
struct ResultFlags {
  bool md5_gate_failed = false;  // output differs from the locked baseline (bit-exact strategies)
  bool rank_error = false;       // a rank failed or disagreed
  std::string failure;           // why the measurement failed (an error in generate()); empty: it ran
};

struct ValidityReport {
  Validity status = Validity::kValid;
  std::vector<std::string> reasons;   // why INVALID (empty when VALID)
  std::vector<std::string> warnings;  // e.g. "7 repetitions, 9+ recommended"
};

ValidityReport check_validity(const std::vector<double>& samples, const ResultFlags& flags = {},
                              const ValidityLimits& limits = {});

}  // namespace ablate::stats
