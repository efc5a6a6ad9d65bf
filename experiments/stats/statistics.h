// Sample statistics for benchmark repetitions: median, mean, stddev, CV, type-7 quantiles, MAD,
// seeded bootstrap confidence intervals of the median (and of a difference of medians), and the
// Mann-Whitney U test with scipy.stats.mannwhitneyu's two-sided p-value and 'auto' method rule.
#pragma once
#include <cstdint>
#include <vector>

namespace ablate::stats {

// All functions throw std::invalid_argument on an empty sample (or a NaN where noted), with a
// message naming the function.

double mean(const std::vector<double>& x);
double median(const std::vector<double>& x);  // mean of the two middle values when n is even
// Sample standard deviation (ddof = 1, as Google Benchmark's StatisticsStdDev); 0 when n == 1.
double stddev(const std::vector<double>& x);
// Coefficient of variation stddev / mean (Google Benchmark's StatisticsCV); 0 when mean == 0.
double cv(const std::vector<double>& x);
// Quantile q in [0, 1] by Hyndman-Fan type 7, numpy.quantile's default 'linear' method:
// h = (n - 1) q, x[floor(h)] + (h - floor(h)) (x[floor(h) + 1] - x[floor(h)]) on sorted x.
double quantile(const std::vector<double>& x, double q);
// Median absolute deviation median(|x - median(x)|), unscaled. Multiply by kMadToSigma to
// estimate sigma for normal data.
double mad(const std::vector<double>& x);
constexpr double kMadToSigma = 1.482602218505602;  // 1 / Phi^-1(3/4)

// A closed interval [lo, hi].
struct Interval {
  double lo = 0.0;
  double hi = 0.0;
  double width() const { return hi - lo; }
  double half_width() const { return (hi - lo) / 2.0; }
  bool contains(double v) const { return lo <= v && v <= hi; }
};

struct BootstrapOptions {
  double confidence = 0.95;  // two-sided coverage of the percentile interval
  int resamples = 2000;      // enough for stable 2.5 % / 97.5 % percentiles at our sample sizes
  uint64_t seed = 0;         // std::mt19937_64 seed; same seed -> bit-identical interval
};

// Percentile bootstrap CI of the median: `resamples` resamples of x with replacement, the median
// of each, and the type-7 quantiles (1 -/+ confidence) / 2 of those medians. Indices are drawn as
// mt19937_64() % n (not std::uniform_int_distribution, whose mapping differs between standard
// libraries), so the result is reproducible bit-for-bit everywhere; the modulo bias is < n / 2^64.
Interval bootstrap_median_ci(const std::vector<double>& x, const BootstrapOptions& options = {});

// Percentile bootstrap CI of median(b) - median(a), each sample resampled independently from
// one generator (a's indices first, then b's, per resample).
Interval bootstrap_median_difference_ci(const std::vector<double>& a, const std::vector<double>& b,
                                        const BootstrapOptions& options = {});

// How the Mann-Whitney p-value is computed.
enum class MannWhitneyMethod {
  // scipy's 'auto' (scipy/stats/_mannwhitneyu.py _mwu_choose_method, scipy >= 1.7 to 1.17):
  // kExact when min(n1, n2) <= 8 and the pooled sample has no ties, kAsymptotic otherwise.
  kAuto,
  // Exact null distribution of U (all C(n1 + n2, n1) rank assignments equally likely, no ties).
  // With ties U is truncated to an integer first, as scipy's method='exact' does.
  kExact,
  // Normal approximation with the tie-corrected variance and a 0.5 continuity correction.
  kAsymptotic,
};

struct MannWhitneyResult {
  double u = 0.0;        // U of the first sample: R1 - n1 (n1 + 1) / 2 with midranks for ties
  double p_value = 1.0;  // two-sided
  MannWhitneyMethod method = MannWhitneyMethod::kAuto;  // the method actually used (never kAuto)
  bool ties = false;     // any tied values in the pooled sample
};

// Two-sided Mann-Whitney U test of x against y, as
// scipy.stats.mannwhitneyu(x, y, use_continuity=True, alternative='two-sided', method=...):
//   exact:      p = min(1, 2 P(U >= max(U1, U2)))
//   asymptotic: mu = n1 n2 / 2, s^2 = n1 n2 / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1))),
//               z = (U1 - mu - 0.5 sign(U1 - mu)) / s, p = min(1, erfc(|z| / sqrt(2))).
// Throws on an empty sample or a NaN.
MannWhitneyResult mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y,
                                 MannWhitneyMethod method = MannWhitneyMethod::kAuto);

// P(U >= u) under the null for sample sizes n1, n2 without ties (the exact method's tail).
double mann_whitney_exact_sf(int64_t u, int n1, int n2);

const char* mann_whitney_method_name(MannWhitneyMethod method);  // "auto" | "exact" | "asymptotic"

}  // namespace ablate::stats
