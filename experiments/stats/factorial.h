// Two-level factorial designs and their analysis: full 2^k and resolution-IV fractional 2^(k-p)
// run lists, a resolution check, and main effects plus pairwise interactions with seeded bootstrap
// confidence intervals.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "experiments/stats/statistics.h"

namespace ablate::stats {

// One run's factor levels: false = low (-1, strategy off), true = high (+1, strategy on).
using Levels = std::vector<bool>;

struct Design {
  int k = 0;                            // factors
  int base_factors = 0;                 // factors varied as a full factorial; the rest are generated
  std::vector<std::string> names;       // factor letters A, B, ..., skipping I (the identity word)
  std::vector<std::string> generators;  // e.g. "E = ABC"; empty for a full factorial
  std::vector<Levels> runs;             // 2^base_factors runs in standard (Yates) order
};

// All 2^k runs (k in 1..20), A alternating fastest.
Design full_factorial(int k);

// The design the factorial analysis uses for k factors: the full factorial when
// k <= full_up_to (default 5, at most 32 runs); otherwise a resolution-IV 2^(k-p) fraction:
//   k = 4, 5 (only when full_up_to < k): the half fraction I = ABCD / ABCDE (resolution IV / V);
//     k < 4 has no fraction of resolution IV and throws.
//   k = 6..11: the minimum-aberration generators of Montgomery, Design and Analysis of Experiments,
//     Table 8.14 (Box-Hunter-Hunter's table): 16 runs for k = 6..8, 32 runs for k = 9..11
//       6: E=ABC F=BCD             7: E=ABC F=BCD G=ACD     8: E=BCD F=ACD G=ABC H=ABD
//       9: F=BCDE G=ACDE H=ABDE J=ABCE      10: F=ABCD G=ABCE H=ABDE J=ACDE K=BCDE
//       11: F=ABC G=BCD H=CDE J=ACD K=ADE L=BDE
//   k >= 12: q = ceil(log2 k) + 1 base factors and generators from the odd-length products of
//     them (length 3, then 5, ...): this is the fold-over of a resolution-III fraction. Every
//     column is an odd word, and a product of two odd words is even, so no main effect is aliased
//     with a two-factor interaction: resolution >= IV in 2^q <= 4k runs.
// In a resolution-IV fraction two-factor interactions are aliased with each other; the analysis
// reports those alias sets.
Design fractional_factorial(int k, int full_up_to = 5);

// ±1 contrast column of a set of factors (product of their levels) over the runs.
std::vector<int> contrast_column(const std::vector<Levels>& runs, const std::vector<int>& factors);

// Resolution of a regular two-level fraction: the length of the shortest word of its defining
// relation (a factor subset whose contrast column is constant over the runs). kFullResolution when
// there is no word (a full factorial, or replicates of one); 0 when the run list is not a regular
// fraction (its distinct runs don't form a 2^(k-p) coset). Cost O(2^k * runs), so k <= 20.
constexpr int kFullResolution = std::numeric_limits<int>::max();
int design_resolution(const std::vector<Levels>& runs);

// True when every main effect is balanced, main effects are mutually orthogonal and each is
// orthogonal to every two-factor interaction: no main effect aliased with another or with a
// two-factor interaction (resolution >= IV). Works for any two-level run list, regular or not.
bool resolution_at_least_iv(const std::vector<Levels>& runs);

// A run order shuffled with mt19937_64(seed) (Fisher-Yates with rng() % (i + 1)): interleave the
// design's runs in a seeded random order so drift does not line up with a factor.
std::vector<size_t> randomized_order(size_t runs, uint64_t seed);

// ~~~~~~~~~~ Analysis ~~~~~~~~~~

// One measured run: its levels and its repetition samples (ms).
struct FactorialRun {
  Levels levels;
  std::vector<double> samples;
};

struct Effect {
  std::string name;          // "A" or "A:B" (factor names as given)
  std::vector<int> factors;  // factor indices: one for a main effect, two for an interaction
  double estimate = 0.0;     // mean response at contrast +1 minus mean at -1 (twice the coefficient)
  Interval ci;               // bootstrap percentile CI
  std::vector<std::string> aliases;  // other effects of order <= 2 with the same (or negated) column
};

struct FactorialAnalysis {
  std::vector<Effect> main_effects;  // in factor order
  std::vector<Effect> interactions;  // (0,1), (0,2), ..., (k-2,k-1)
  double grand_mean = 0.0;           // mean of the per-run medians
};

struct FactorialOptions {
  BootstrapOptions bootstrap{};  // resamples within each run; the design stays fixed
};

// Response per run = median of its samples. Effect of a contrast c (the factor's ±1 column, or the
// product of two for an interaction) = mean(response | c = +1) - mean(response | c = -1). With the
// model y = b0 + bA A + bB B + bAB A B (A, B = ±1) this gives 2 bA, 2 bB, 2 bAB.
// CI: each bootstrap resample redraws every run's samples with replacement, recomputes the per-run
// medians and every effect from them (one mt19937_64 stream, runs in order): it covers measurement
// noise, not model error. Throws when runs have different factor counts, a run has no samples, or
// a contrast is constant (the effect is not estimable from this design).
FactorialAnalysis analyze_factorial(const std::vector<FactorialRun>& runs, const std::vector<std::string>& names,
                                    const FactorialOptions& options = {});

}  // namespace ablate::stats
