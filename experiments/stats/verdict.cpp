// Comparison verdicts, result validity and the A/A noise floor (see verdict.h).
#include "experiments/stats/verdict.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace ablate::stats {
namespace {

std::string format(const char* fmt, double a, double b = 0.0, double c = 0.0) {
  char buf[256];
  std::snprintf(buf, sizeof(buf), fmt, a, b, c);
  return buf;
}

}  // namespace

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kFaster: return "FASTER";
    case Verdict::kSlower: return "SLOWER";
    case Verdict::kSame: return "SAME";
    case Verdict::kAmbiguous: return "AMBIGUOUS";
  }
  return "?";
}

const char* validity_name(Validity v) {
  switch (v) {
    case Validity::kValid: return "VALID";
    case Validity::kInvalid: return "INVALID";
  }
  return "?";
}

double Thresholds::practical_ms(double baseline_median_ms) const {
  return std::max({rel * std::fabs(baseline_median_ms), abs_ms, noise_k * noise_floor_ms});
}

Comparison compare(const std::vector<double>& baseline, const std::vector<double>& candidate,
                   const Thresholds& t) {
  if (baseline.empty() || candidate.empty())
    throw std::invalid_argument("compare: expected non-empty baseline and candidate samples");
  Comparison c;
  c.baseline_median_ms = median(baseline);
  c.candidate_median_ms = median(candidate);
  if (!(c.baseline_median_ms > 0.0))
    throw std::invalid_argument("compare: expected a positive baseline median, but got " +
                                std::to_string(c.baseline_median_ms));
  c.diff_ms = c.candidate_median_ms - c.baseline_median_ms;
  c.rel = c.diff_ms / c.baseline_median_ms;
  c.ratio = c.candidate_median_ms > 0.0 ? c.baseline_median_ms / c.candidate_median_ms : 0.0;
  const MannWhitneyResult mw = mann_whitney_u(baseline, candidate);
  c.p_value = mw.p_value;
  c.u = mw.u;
  c.diff_ci = bootstrap_median_difference_ci(baseline, candidate, t.bootstrap);
  c.practical_ms = t.practical_ms(c.baseline_median_ms);

  const double abs_diff = std::fabs(c.diff_ms);
  const bool significant = c.p_value < t.alpha;
  const bool above_rel = std::fabs(c.rel) > t.rel;
  const bool above_abs = abs_diff > t.abs_ms;
  const bool above_noise = abs_diff > t.noise_k * t.noise_floor_ms;
  if (significant && above_rel && above_abs && above_noise) {
    c.verdict = c.diff_ms < 0.0 ? Verdict::kFaster : Verdict::kSlower;
    c.reason = format("p %.3g < alpha, |change| %.3f ms clears the practical threshold %.3f ms", c.p_value,
                      abs_diff, c.practical_ms);
    return c;
  }
  const bool ci_inside = c.diff_ci.lo >= -c.practical_ms && c.diff_ci.hi <= c.practical_ms;
  if (ci_inside) {
    c.verdict = Verdict::kSame;
    c.reason = format("CI [%.3f, %.3f] ms lies within +-%.3f ms", c.diff_ci.lo, c.diff_ci.hi, c.practical_ms);
    return c;
  }
  // a large change that is not significant was found, not ruled out: with few samples the U test
  // cannot reach alpha at all (3 against 3: p >= 0.1), so a narrow CI far from zero is not SAME
  if (!significant && c.diff_ci.half_width() <= c.practical_ms && abs_diff <= c.practical_ms) {
    c.verdict = Verdict::kSame;
    c.reason = format("p %.3g >= alpha and CI half-width %.3f ms <= %.3f ms", c.p_value, c.diff_ci.half_width(),
                      c.practical_ms);
    return c;
  }
  c.verdict = Verdict::kAmbiguous;
  if (!significant && abs_diff > c.practical_ms && c.diff_ci.half_width() <= c.practical_ms)
    c.reason = format("p %.3g >= alpha but the change %.3f ms is beyond the practical threshold %.3f ms with a "
                      "narrow CI: too few samples for the U test to decide",
                      c.p_value, c.diff_ms, c.practical_ms);
  else if (significant)
    c.reason = format("p %.3g < alpha but |change| %.3f ms is under the practical threshold %.3f ms "
                      "and the CI reaches past it",
                      c.p_value, abs_diff, c.practical_ms);
  else
    c.reason = format("p %.3g >= alpha and CI half-width %.3f ms > %.3f ms: too noisy to decide", c.p_value,
                      c.diff_ci.half_width(), c.practical_ms);
  return c;
}

double noise_floor(const std::vector<double>& a, const std::vector<double>& b, const BootstrapOptions& options) {
  const double diff = median(b) - median(a);
  return std::fabs(diff) + bootstrap_median_difference_ci(a, b, options).half_width();
}

ValidityReport check_validity(const std::vector<double>& samples, const ResultFlags& flags,
                              const ValidityLimits& limits) {
  ValidityReport r;
  if (!flags.failure.empty()) r.reasons.push_back("failed: " + flags.failure);
  const int n = static_cast<int>(samples.size());
  if (!flags.failure.empty() && n == 0) {
    // a failed run has no repetitions: the failure says why, not the count
  } else if (n < limits.min_repetitions) {
    r.reasons.push_back(std::to_string(n) + " repetitions, below the minimum " +
                        std::to_string(limits.min_repetitions));
  } else if (n < limits.recommended_repetitions) {
    r.warnings.push_back(std::to_string(n) + " repetitions, " + std::to_string(limits.recommended_repetitions) +
                         "+ recommended");
  }
  if (n >= 2) {
    const double v = cv(samples);
    if (v > limits.max_cv)
      r.reasons.push_back(format("CV %.2f %% above the limit %.2f %%", 100.0 * v, 100.0 * limits.max_cv));
  }
  if (flags.md5_gate_failed) r.reasons.push_back("MD5 gate failed");
  if (flags.rank_error) r.reasons.push_back("rank error");
  r.status = r.reasons.empty() ? Validity::kValid : Validity::kInvalid;
  return r;
}

}  // namespace ablate::stats
