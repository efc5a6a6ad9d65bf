// Adaptive repetitions: a group-sequential stopping rule that looks at a candidate's samples after
// a few repetitions and says whether its verdict against the baseline is settled (stop: FASTER,
// SLOWER or SAME) or more repetitions are needed, within a stated error budget, up to a maximum
// where the verdict is compare()'s.
#pragma once
#include <string>
#include <vector>

#include "experiments/stats/verdict.h"

namespace ablate::stats {

/// The rule (a Haybittle-Peto style group-sequential test, Bonferroni over the looks).
///
/// Looks: at n = min_repetitions, min + look_step, min + 2 look_step, ... (below the maximum) and
/// at n = max_repetitions, n counting the candidate's samples. K looks, K - 1 of them interim.
///
/// At an interim look k the rule runs compare() with two levels changed and stops only on:
///   FASTER / SLOWER: compare()'s rule with alpha_k = interim_alpha / (K - 1) in place of
///     thresholds.alpha (p < alpha_k and the change clears every practical threshold);
///   SAME: the bootstrap CI of the median difference at confidence 1 - 2 gamma_k, with
///     gamma_k = interim_equivalence_alpha / (K - 1), lies inside +-practical_ms (two one-sided
///     tests, each at gamma_k). compare()'s second SAME rule (p >= alpha with a narrow CI) bounds
///     no error, so it never stops early.
/// Anything else continues to the next look.
/// At the last look the verdict is compare()'s, with every rule (both SAME rules, AMBIGUOUS) and
/// thresholds.alpha - interim_alpha in place of thresholds.alpha; nothing else changes. With one
/// look (min == max) that is exactly compare() with the given thresholds.
///
/// Error guarantees (union bound over the looks, so they hold for any dependence between looks,
/// whether the baseline is fixed or grows too, and however many looks are actually reached):
///   - False FASTER / SLOWER: when candidate and baseline samples come from one distribution,
///     P(any look decides FASTER or SLOWER) <= sum over looks of P(p_k < alpha_k)
///     <= (K - 1) alpha_k + (alpha - interim_alpha) = thresholds.alpha, the fixed protocol's level.
///     Exact for the exact U test (no ties, min(n1, n2) <= 8); the asymptotic test is approximate.
///   - False early SAME: when the true median difference lies outside +-practical_ms,
///     P(any interim look stops SAME) <= interim_equivalence_alpha, up to the percentile
///     bootstrap's coverage error. The last look adds compare()'s own SAME error (its CI rule is a
///     TOST at (1 - confidence) / 2 per side; its narrow-CI rule states none).
/// The price: the last look tests at alpha - interim_alpha, so a change with p in
/// [alpha - interim_alpha, alpha) at the maximum is AMBIGUOUS here and FASTER / SLOWER in the fixed
/// protocol; the tests measure how often verdicts differ (sequential_test.cpp).
/// The smallest two-sided exact U-test p with n1 and n2 samples is 2 / C(n1 + n2, n1): an interim
/// alpha_k below it can't stop FASTER / SLOWER at that look (min_attainable_p below). With a
/// baseline of 20 samples and 5 candidate samples it is 3.8e-5, with 5 and 5 it is 0.0079.
struct SequentialRule {
  // clang-format off
  int min_repetitions              = 5;     // first look (ValidityLimits' minimum)
  int max_repetitions              = 20;    // last look: the fixed protocol's repetitions
  int look_step                    = 5;     // repetitions between looks
  double interim_alpha             = 0.01;  // of thresholds.alpha, spent on interim FASTER / SLOWER
  double interim_equivalence_alpha = 0.01;  // budget for SAME at interim looks
  // clang-format on
};

/// Candidate sample counts at which the rule looks: min, min + step, ... < max, then max.
/// Throws std::invalid_argument (naming the field) when min < 1, max < min, step < 1, an alpha is
/// outside [0, 1), or interim_alpha >= thresholds.alpha (checked by the functions that take both).
std::vector<int> look_schedule(const SequentialRule& rule);

/// Thresholds compare() runs with at look `look` (1-based): alpha_k and confidence 1 - 2 gamma_k
/// at an interim look (confidence unchanged when gamma_k = 0), alpha - interim_alpha at the last
/// look (confidence unchanged).
Thresholds look_thresholds(const SequentialRule& rule, const Thresholds& thresholds, int look);

/// The smallest two-sided p-value the exact U test can give with n1 and n2 samples: 2 / C(n1 + n2, n1).
double min_attainable_p(int n1, int n2);

enum class SequentialAction { kContinue, kStop };
const char* sequential_action_name(SequentialAction a);  // "continue" | "stop"

struct SequentialDecision {
  SequentialAction action = SequentialAction::kContinue;
  // FASTER / SLOWER / SAME when stopped early; compare()'s verdict (AMBIGUOUS possible) when
  // stopped at the last look; AMBIGUOUS while continuing.
  Verdict verdict = Verdict::kAmbiguous;
  std::string reason;               // one line: which rule decided, or why measuring goes on
  int look = 0;                     // 1-based look taken; 0 when the samples reach no look yet
  int looks = 0;                    // looks in the schedule (K)
  int repetitions = 0;              // candidate samples seen
  int next_repetitions = 0;         // continuing: the candidate samples wanted at the next look
  double look_alpha = 0.0;          // FASTER / SLOWER level at this look
  double look_equivalence_alpha = 0.0;  // SAME level per TOST side at this look
  double alpha_spent = 0.0;         // FASTER / SLOWER levels of looks 1..look summed
  bool tested = false;              // a look was taken: `comparison` holds compare() at its thresholds
  Comparison comparison;
};

/// One decision for the candidate samples so far (the first n of its repetitions, in order).
/// n below the first look, or between looks: continue without a test (no error budget spent).
/// n on a look: that look's rule. Throws std::invalid_argument for n > max_repetitions, an empty
/// baseline, or the rule errors of look_schedule().
SequentialDecision sequential_decide(const std::vector<double>& baseline, const std::vector<double>& candidate,
                                     const Thresholds& thresholds, const SequentialRule& rule = {});

/// Replays the rule over `candidate` as if measured in order: looks at each scheduled prefix until
/// one stops. Returns that decision, or the last look's "continue" when the samples run out first.
/// For simulations and for replaying fixed-protocol ledgers (use the first max_repetitions samples).
SequentialDecision sequential_replay(const std::vector<double>& baseline, const std::vector<double>& candidate,
                                     const Thresholds& thresholds, const SequentialRule& rule = {});

/// One line for the ledger, e.g. "group-sequential: looks at 5,10,15,20 reps; FASTER/SLOWER alpha
/// 0.05 (0.00333 per interim look, 0.04 at the last); early SAME: 99.33 % CI within +-practical".
std::string sequential_rule_summary(const SequentialRule& rule, const Thresholds& thresholds);

}  // namespace ablate::stats
