// Successive halving for the stacking search: one round of the greedy search (which candidate joins
// the current best stack) decided by measuring every candidate with few repetitions, dropping those
// clearly not better, and spending more repetitions on the survivors; and the greedy search built
// from such rounds. Every round is returned for the journal.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "experiments/stats/search.h"
#include "experiments/stats/sequential.h"

namespace ablate::stats {

/// `repetitions` new samples (ms, lower is better) of `stack`, measured now. Returning fewer
/// means the measurement failed; the candidate is dropped.
using EvaluateRepetitions =
    std::function<std::vector<double>(const std::vector<std::string>& stack, int repetitions)>;

/// The rule, per look k of options.rule's schedule (cumulative repetitions per candidate, e.g.
/// 5, 10, 15, 20; the levels alpha_k of sequential.h). practical_ms is Thresholds::practical_ms,
/// max(rel x median, abs_ms, noise_k x noise floor), so the A/A noise floor bounds every gain:
///   1. Measure every survivor up to n_k samples (only the new ones are measured).
///   2. Drop an INVALID survivor (check_validity: failed run or missing samples, MD5 gate, rank
///      error). The CV limit applies only where a candidate would win (a CV from 5 samples is too
///      noisy to drop on): a FASTER last survivor above it is measured on.
///   3. Interim looks: drop a survivor that is clearly not better than the reference (the current
///      best stack): the drop_confidence bootstrap CI of its median difference from the reference
///      lies above -practical_ms, so a gain that counts is ruled out (SLOWER ones included).
///      The leader is the survivor with the lowest median; drop any other survivor whose CI of the
///      difference from the leader lies above -practical_ms at the leader: it cannot beat the
///      leader by a gain that counts, so the leader is as good a pick (an indifference zone of
///      practical_ms). Then decide when one survivor is left: it wins if compare() against the
///      reference at alpha_k says FASTER, otherwise it is measured on to the next look.
///      No survivor: nothing helps.
///   4. Last look: compare() against the reference at the last look's thresholds (compare()'s
///      rules, alpha - interim_alpha); among FASTER survivors the largest gain wins, as in
///      greedy_search; none FASTER: nothing helps.
/// Guarantees: a candidate that wins was FASTER at some look k at level alpha_k, so a candidate no
/// faster than the reference wins with probability <= thresholds.alpha (union bound, as
/// sequential.h), the fixed protocol's per-candidate level. Dropping a candidate whose true gain
/// is >= practical_ms has probability <= (1 - drop_confidence) / 2 per look (one-sided CI). Every
/// candidate gets at most max_repetitions samples, so the total never exceeds the fixed
/// protocol's candidates x max_repetitions, and is below it whenever anything is dropped or
/// decided before the last look. Drops go by the rule, not by a fixed fraction: halving by rank
/// can drop the best of several candidates that are equal within the noise.
struct HalvingOptions {
  // clang-format off
  Thresholds thresholds{};        // verdict rules; noise_floor_ms from an A/A run
  SequentialRule rule{};          // the looks (rounds) and the FASTER levels per look
  double drop_confidence = 0.90;  // two-sided CI for the drop rules (one-sided error 5 % per look)
  ValidityLimits limits{};        // rule.min_repetitions must be >= limits.min_repetitions
  // Optional gate facts for the stack just measured (as SearchOptions::result_flags).
  std::function<ResultFlags(const std::vector<std::string>& stack)> result_flags;
  // clang-format on
};

struct HalvingEntry {
  std::string name;                // the candidate
  std::vector<std::string> stack;  // reference stack + name: what is measured
  int repetitions = 0;             // samples so far
  double median_ms = 0.0;
  ValidityReport validity;
  Comparison vs_reference;         // compare() at this look (interim: CI at drop_confidence)
  bool compared_to_leader = false;
  Comparison vs_leader;            // the leader as baseline (when compared_to_leader)
  bool dropped = false;
  std::string reason;              // why dropped, or why it goes on / wins
};

struct HalvingRound {
  int round = 0;                     // 1-based look
  int repetitions = 0;               // samples per candidate after this round
  int samples = 0;                   // samples measured in this round, all candidates
  double alpha = 0.0;                // FASTER level of this look
  std::string leader;                // lowest median among the survivors (empty: none)
  std::vector<HalvingEntry> entries; // every candidate in at the round's start, in input order
};

struct HalvingResult {
  std::vector<HalvingRound> rounds;
  int winner = -1;                       // index into the candidates; -1: nothing helps
  std::vector<double> winner_samples;
  Comparison winner_vs_reference;        // at the look that decided
  std::string decision;                  // one line: who won at which look, or why none did
  int samples = 0;                       // candidate samples measured
  int fixed_protocol_samples = 0;        // candidates x max_repetitions
};

/// One greedy round by successive halving: which of `candidates` (names) should join
/// `reference_stack`, whose samples are `reference_samples`. Throws std::invalid_argument on
/// duplicate or no candidates, an empty reference, an unset callback, a drop_confidence outside
/// (0, 1), rule.min_repetitions below limits.min_repetitions, or a bad rule (sequential.h).
HalvingResult successive_halving(const std::vector<std::string>& reference_stack,
                                 const std::vector<double>& reference_samples,
                                 const std::vector<std::string>& candidates, const EvaluateRepetitions& evaluate,
                                 const HalvingOptions& options = {});

// ~~~~~~~~~~ The search ~~~~~~~~~~

struct HalvingSearchOptions {
  // clang-format off
  HalvingOptions halving{};
  bool allow_tier_b = false;  // admit tier-B candidates (--allow-tier-b)
  // Start no greedy step after this long (0 = unlimited): a step in progress finishes, since its
  // halving rounds decide together. Needs `clock` (seconds since any fixed point).
  double time_budget_s = 0.0;
  std::function<double()> clock;
  // clang-format on
};

/// One greedy step: the halving round over the candidates allowed on top of `reference_stack`.
struct HalvingStep {
  int step = 0;                              // 1-based
  std::vector<std::string> reference_stack;
  HalvingResult result;
  std::vector<Skip> skipped;                 // tier B not allowed, or the candidate's validate() reason
  int reference_top_up = 0;                  // samples added to the winner to make it the next reference
};

struct HalvingSearchResult {
  std::vector<ChainRow> chain;          // baseline first, then one row per kept candidate
  std::vector<std::string> best_stack;
  std::vector<double> baseline_samples;
  ValidityReport baseline_validity;
  std::vector<HalvingStep> steps;
  int samples = 0;                      // everything measured, baseline included
  int fixed_protocol_samples = 0;       // greedy_search at max_repetitions over the same steps
  StopReason stop = StopReason::kNothingHelps;
};

/// The greedy stacking search of greedy_search with each round decided by successive_halving.
/// The baseline is measured with rule.max_repetitions samples, and each winner is topped up to
/// max_repetitions before it becomes the next reference (few reference samples would limit the
/// U test's smallest p). Stops when nothing helps, no candidate is left, or the baseline is
/// INVALID. Throws as successive_halving, and on duplicate candidate names.
HalvingSearchResult halving_search(const std::vector<Candidate>& candidates, const EvaluateRepetitions& evaluate,
                                   const HalvingSearchOptions& options = {});

}  // namespace ablate::stats
