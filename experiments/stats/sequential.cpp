// The group-sequential stopping rule for adaptive repetitions (see sequential.h).
#include "experiments/stats/sequential.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace ablate::stats {
namespace {

std::string format(const char* fmt, double a, double b = 0.0, double c = 0.0, double d = 0.0) {
  char buf[320];
  std::snprintf(buf, sizeof(buf), fmt, a, b, c, d);
  return buf;
}

void check_alpha(double v, const char* field) {
  if (!(v >= 0.0 && v < 1.0))
    throw std::invalid_argument(std::string("sequential rule: ") + field + ": expected a level in [0, 1), found " +
                                std::to_string(v));
}

void check_rule(const SequentialRule& r, const Thresholds& t) {
  if (!(r.interim_alpha < t.alpha))
    throw std::invalid_argument("sequential rule: interim_alpha: expected below thresholds.alpha " +
                                std::to_string(t.alpha) + " (the last look needs a level), found " +
                                std::to_string(r.interim_alpha));
}

// Per-look levels: alpha_k, gamma_k (one TOST side) and whether the look is the last.
struct Levels {
  double alpha = 0.0;
  double gamma = 0.0;
  bool last = false;
};

Levels levels_at(const SequentialRule& r, const Thresholds& t, int look, int looks) {
  Levels l;
  l.last = look == looks;
  const int interim = looks - 1;
  if (l.last) {
    l.alpha = t.alpha - (interim > 0 ? r.interim_alpha : 0.0);
    l.gamma = (1.0 - t.bootstrap.confidence) / 2.0;
  } else {
    l.alpha = r.interim_alpha / interim;
    l.gamma = r.interim_equivalence_alpha / interim;
  }
  return l;
}

}  // namespace

std::vector<int> look_schedule(const SequentialRule& r) {
  if (r.min_repetitions < 1)
    throw std::invalid_argument("sequential rule: min_repetitions: expected >= 1, found " +
                                std::to_string(r.min_repetitions));
  if (r.max_repetitions < r.min_repetitions)
    throw std::invalid_argument("sequential rule: max_repetitions: expected >= min_repetitions " +
                                std::to_string(r.min_repetitions) + ", found " + std::to_string(r.max_repetitions));
  if (r.look_step < 1)
    throw std::invalid_argument("sequential rule: look_step: expected >= 1, found " + std::to_string(r.look_step));
  check_alpha(r.interim_alpha, "interim_alpha");
  check_alpha(r.interim_equivalence_alpha, "interim_equivalence_alpha");
  std::vector<int> looks;
  for (int n = r.min_repetitions; n < r.max_repetitions; n += r.look_step) looks.push_back(n);
  looks.push_back(r.max_repetitions);
  return looks;
}

Thresholds look_thresholds(const SequentialRule& rule, const Thresholds& thresholds, int look) {
  const std::vector<int> looks = look_schedule(rule);
  check_rule(rule, thresholds);
  const int k = static_cast<int>(looks.size());
  if (look < 1 || look > k)
    throw std::invalid_argument("look_thresholds: look: expected 1.." + std::to_string(k) + ", found " +
                                std::to_string(look));
  const Levels l = levels_at(rule, thresholds, look, k);
  Thresholds t = thresholds;
  t.alpha = l.alpha;
  // gamma_k = 0 (no early SAME) leaves the CI as it is: a 100 % percentile CI is not defined
  if (!l.last && l.gamma > 0.0) t.bootstrap.confidence = 1.0 - 2.0 * l.gamma;
  return t;
}

double min_attainable_p(int n1, int n2) {
  if (n1 < 1 || n2 < 1)
    throw std::invalid_argument("min_attainable_p: expected n1, n2 >= 1, but got " + std::to_string(n1) + ", " +
                                std::to_string(n2));
  // 2 / C(n1 + n2, n1), built up as a product to stay in range
  double c = 1.0;
  const int m = std::min(n1, n2);
  for (int i = 1; i <= m; ++i) c = c * (n1 + n2 - m + i) / i;
  return std::min(1.0, 2.0 / c);
}

const char* sequential_action_name(SequentialAction a) {
  switch (a) {
    case SequentialAction::kContinue: return "continue";
    case SequentialAction::kStop: return "stop";
  }
  return "?";
}

SequentialDecision sequential_decide(const std::vector<double>& baseline, const std::vector<double>& candidate,
                                     const Thresholds& thresholds, const SequentialRule& rule) {
  const std::vector<int> looks = look_schedule(rule);
  check_rule(rule, thresholds);
  if (baseline.empty()) throw std::invalid_argument("sequential_decide: expected non-empty baseline samples");
  const int n = static_cast<int>(candidate.size());
  if (n > rule.max_repetitions)
    throw std::invalid_argument("sequential_decide: candidate: expected at most max_repetitions " +
                                std::to_string(rule.max_repetitions) + " samples, found " + std::to_string(n));
  SequentialDecision d;
  d.looks = static_cast<int>(looks.size());
  d.repetitions = n;
  const auto at = std::find(looks.begin(), looks.end(), n);
  if (at == looks.end()) {
    // Between looks: no test, so nothing of the budget is spent.
    const auto next = std::upper_bound(looks.begin(), looks.end(), n);
    d.look = static_cast<int>(next - looks.begin());
    d.next_repetitions = *next;
    for (int k = 1; k <= d.look; ++k) d.alpha_spent += levels_at(rule, thresholds, k, d.looks).alpha;
    d.reason = "no look at " + std::to_string(n) + " repetitions; next look at " + std::to_string(*next);
    return d;
  }
  d.look = static_cast<int>(at - looks.begin()) + 1;
  const Levels l = levels_at(rule, thresholds, d.look, d.looks);
  for (int k = 1; k <= d.look; ++k) d.alpha_spent += levels_at(rule, thresholds, k, d.looks).alpha;
  d.look_alpha = l.alpha;
  d.look_equivalence_alpha = l.gamma;
  d.tested = true;
  d.comparison = compare(baseline, candidate, look_thresholds(rule, thresholds, d.look));
  const Comparison& c = d.comparison;
  const std::string where = "look " + std::to_string(d.look) + "/" + std::to_string(d.looks) + " at " +
                            std::to_string(n) + " reps: ";
  if (l.last) {
    d.action = SequentialAction::kStop;
    d.verdict = c.verdict;
    d.reason = where + "last look, compare() at alpha " + format("%.4g", l.alpha) + ": " + c.reason;
    return d;
  }
  if (c.verdict == Verdict::kFaster || c.verdict == Verdict::kSlower) {
    d.action = SequentialAction::kStop;
    d.verdict = c.verdict;
    d.reason = where + format("p %.3g < interim alpha %.4g, |change| %.3f ms clears %.3f ms", c.p_value, l.alpha,
                              std::fabs(c.diff_ms), c.practical_ms);
    return d;
  }
  const bool ci_inside = c.diff_ci.lo >= -c.practical_ms && c.diff_ci.hi <= c.practical_ms;
  if (l.gamma > 0.0 && ci_inside) {
    d.action = SequentialAction::kStop;
    d.verdict = Verdict::kSame;
    d.reason = where + format("%.2f %% CI [%.3f, %.3f] ms lies within +-%.3f ms", 100.0 * (1.0 - 2.0 * l.gamma),
                              c.diff_ci.lo, c.diff_ci.hi, c.practical_ms);
    return d;
  }
  d.next_repetitions = looks[static_cast<size_t>(d.look)];
  d.reason = where + format("undecided (p %.3g, %.2f %% CI [%.3f, %.3f] ms", c.p_value,
                            100.0 * (1.0 - 2.0 * l.gamma), c.diff_ci.lo, c.diff_ci.hi) +
             format(" vs +-%.3f ms); next look at %.0f reps", c.practical_ms, d.next_repetitions);
  return d;
}

SequentialDecision sequential_replay(const std::vector<double>& baseline, const std::vector<double>& candidate,
                                     const Thresholds& thresholds, const SequentialRule& rule) {
  const std::vector<int> looks = look_schedule(rule);
  SequentialDecision d;
  bool any = false;
  for (const int n : looks) {
    if (n > static_cast<int>(candidate.size())) break;
    d = sequential_decide(baseline, std::vector<double>(candidate.begin(), candidate.begin() + n), thresholds, rule);
    any = true;
    if (d.action == SequentialAction::kStop) return d;
  }
  // fewer samples than the first look: say how many it needs
  return any ? d : sequential_decide(baseline, candidate, thresholds, rule);
}

std::string sequential_rule_summary(const SequentialRule& rule, const Thresholds& thresholds) {
  const std::vector<int> looks = look_schedule(rule);
  check_rule(rule, thresholds);
  const int k = static_cast<int>(looks.size());
  std::string at;
  for (const int n : looks) at += (at.empty() ? "" : ",") + std::to_string(n);
  std::string s = "group-sequential: looks at " + at + " reps; FASTER/SLOWER alpha " + format("%.4g", thresholds.alpha);
  if (k == 1) return s + " (one look: the fixed protocol)";
  const Levels interim = levels_at(rule, thresholds, 1, k);
  const Levels last = levels_at(rule, thresholds, k, k);
  s += format(" (%.3g per interim look, %.4g at the last)", interim.alpha, last.alpha);
  if (interim.gamma > 0.0)
    s += format("; early SAME: %.2f %% CI within +-practical", 100.0 * (1.0 - 2.0 * interim.gamma));
  else
    s += "; no early SAME";
  return s;
}

}  // namespace ablate::stats
