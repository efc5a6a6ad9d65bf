// Sample statistics, seeded bootstrap intervals and the Mann-Whitney U test (see statistics.h).
#include "experiments/stats/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

namespace ablate::stats {
namespace {

void require_nonempty(const std::vector<double>& x, const char* what) {
  if (x.empty()) throw std::invalid_argument(std::string(what) + ": expected a non-empty sample, but got 0 values");
}

void require_no_nan(const std::vector<double>& x, const char* what) {
  for (double v : x)
    if (std::isnan(v)) throw std::invalid_argument(std::string(what) + ": expected no NaN in the sample");
}

// Median of v, reordering v (nth_element instead of a full sort: this runs once per resample).
double median_inplace(std::vector<double>& v) {
  const size_t n = v.size(), mid = n / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  const double upper = v[mid];
  if (n % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + mid);
  return (lower + upper) / 2.0;
}

// numpy's _lerp: a + (b - a) t, computed from b's side when t >= 0.5 so that t = 1 gives b exactly.
double numpy_lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
}

double quantile_sorted(const std::vector<double>& s, double q) {
  const double h = static_cast<double>(s.size() - 1) * q;  // numpy 'linear': (n - 1) q
  const double lo = std::floor(h);
  const size_t i = static_cast<size_t>(lo);
  const size_t j = std::min(i + 1, s.size() - 1);
  return numpy_lerp(s[i], s[j], h - lo);
}

// Draws n indices into a sample of size n and returns the median of that resample.
double resampled_median(const std::vector<double>& x, std::mt19937_64& rng, std::vector<double>& buf) {
  const uint64_t n = x.size();
  buf.resize(x.size());
  for (auto& v : buf) v = x[rng() % n];
  return median_inplace(buf);
}

Interval percentile_interval(std::vector<double>& values, double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0))
    throw std::invalid_argument("bootstrap: expected confidence in (0, 1), but got " + std::to_string(confidence));
  std::sort(values.begin(), values.end());
  const double tail = (1.0 - confidence) / 2.0;
  return {quantile_sorted(values, tail), quantile_sorted(values, 1.0 - tail)};
}

void require_resamples(const BootstrapOptions& o) {
  if (o.resamples < 1)
    throw std::invalid_argument("bootstrap: expected resamples >= 1, but got " + std::to_string(o.resamples));
}

}  // namespace

double mean(const std::vector<double>& x) {
  require_nonempty(x, "mean");
  return std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
}

double median(const std::vector<double>& x) {
  require_nonempty(x, "median");
  std::vector<double> v = x;
  return median_inplace(v);
}

double stddev(const std::vector<double>& x) {
  require_nonempty(x, "stddev");
  if (x.size() == 1) return 0.0;
  const double m = mean(x);
  double ss = 0.0;
  for (double v : x) ss += (v - m) * (v - m);
  return std::sqrt(ss / static_cast<double>(x.size() - 1));
}

double cv(const std::vector<double>& x) {
  const double m = mean(x);
  return m == 0.0 ? 0.0 : stddev(x) / m;
}

double quantile(const std::vector<double>& x, double q) {
  require_nonempty(x, "quantile");
  if (!(q >= 0.0 && q <= 1.0))
    throw std::invalid_argument("quantile: expected q in [0, 1], but got " + std::to_string(q));
  std::vector<double> s = x;
  std::sort(s.begin(), s.end());
  return quantile_sorted(s, q);
}

double mad(const std::vector<double>& x) {
  const double m = median(x);
  std::vector<double> dev;
  dev.reserve(x.size());
  for (double v : x) dev.push_back(std::fabs(v - m));
  return median_inplace(dev);
}

Interval bootstrap_median_ci(const std::vector<double>& x, const BootstrapOptions& options) {
  require_nonempty(x, "bootstrap_median_ci");
  require_resamples(options);
  std::mt19937_64 rng(options.seed);
  std::vector<double> medians(static_cast<size_t>(options.resamples)), buf;
  for (auto& m : medians) m = resampled_median(x, rng, buf);
  return percentile_interval(medians, options.confidence);
}

Interval bootstrap_median_difference_ci(const std::vector<double>& a, const std::vector<double>& b,
                                        const BootstrapOptions& options) {
  require_nonempty(a, "bootstrap_median_difference_ci");
  require_nonempty(b, "bootstrap_median_difference_ci");
  require_resamples(options);
  std::mt19937_64 rng(options.seed);
  std::vector<double> diffs(static_cast<size_t>(options.resamples)), buf;
  for (auto& d : diffs) {
    const double ma = resampled_median(a, rng, buf);
    d = resampled_median(b, rng, buf) - ma;
  }
  return percentile_interval(diffs, options.confidence);
}

double mann_whitney_exact_sf(int64_t u, int n1, int n2) {
  if (n1 < 1 || n2 < 1)
    throw std::invalid_argument("mann_whitney_exact_sf: expected n1, n2 >= 1, but got " + std::to_string(n1) +
                                ", " + std::to_string(n2));
  const int m = std::min(n1, n2), n = std::max(n1, n2);
  const int64_t max_u = static_cast<int64_t>(m) * n;
  if (u <= 0) return 1.0;
  if (u > max_u) return 0.0;
  // f[j][v] = number of orderings of j x's among the first i y's with U = v. The largest of the
  // j + i values is either an x (adds i to U) or a y (adds 0): f(j, i) = f(j - 1, i) << i + f(j, i - 1).
  // Counts are summed as doubles: only additions of positive numbers, so the relative error stays
  // ~1e-16 even where C(n1 + n2, n1) passes 2^64.
  std::vector<std::vector<double>> f(m + 1, std::vector<double>(max_u + 1, 0.0));
  for (int j = 0; j <= m; ++j) f[j][0] = 1.0;  // i = 0: no y, U = 0
  for (int i = 1; i <= n; ++i)
    for (int j = 1; j <= m; ++j)
      for (int64_t v = max_u; v >= i; --v) f[j][v] += f[j - 1][v - i];
  const auto& dist = f[m];
  const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
  double tail = 0.0;
  for (int64_t v = u; v <= max_u; ++v) tail += dist[v];
  return tail / total;
}

MannWhitneyResult mann_whitney_u(const std::vector<double>& x, const std::vector<double>& y,
                                 MannWhitneyMethod method) {
  require_nonempty(x, "mann_whitney_u");
  require_nonempty(y, "mann_whitney_u");
  require_no_nan(x, "mann_whitney_u");
  require_no_nan(y, "mann_whitney_u");
  const size_t n1 = x.size(), n2 = y.size(), n = n1 + n2;

  // Midranks of the pooled sample (scipy's rankdata 'average') and the tie group sizes t.
  std::vector<std::pair<double, size_t>> pooled;
  pooled.reserve(n);
  for (size_t i = 0; i < n1; ++i) pooled.push_back({x[i], i});
  for (size_t i = 0; i < n2; ++i) pooled.push_back({y[i], n1 + i});
  std::sort(pooled.begin(), pooled.end());
  std::vector<double> rank(n);
  double tie_term = 0.0;  // sum(t^3 - t)
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j + 1 < n && pooled[j + 1].first == pooled[i].first) ++j;
    const double t = static_cast<double>(j - i + 1);
    const double midrank = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2.0;
    for (size_t k = i; k <= j; ++k) rank[pooled[k].second] = midrank;
    tie_term += t * t * t - t;
    i = j + 1;
  }

  MannWhitneyResult r;
  r.ties = tie_term > 0.0;
  // U1 = sum(rank_x - (n1 + 1) / 2): subtracting per term keeps the sum at U's magnitude (scipy gh-24777).
  const double offset = (static_cast<double>(n1) + 1.0) / 2.0;
  for (size_t i = 0; i < n1; ++i) r.u += rank[i] - offset;
  const double nn = static_cast<double>(n1) * static_cast<double>(n2);

  if (method == MannWhitneyMethod::kAuto) {
    // scipy _mwu_choose_method: asymptotic when both n > 8, or when there are ties; else exact.
    const bool both_large = n1 > 8 && n2 > 8;
    method = (both_large || r.ties) ? MannWhitneyMethod::kAsymptotic : MannWhitneyMethod::kExact;
  }
  r.method = method;

  switch (method) {
    case MannWhitneyMethod::kExact: {
      const double u_max = std::max(r.u, nn - r.u);
      const double sf = mann_whitney_exact_sf(static_cast<int64_t>(u_max), static_cast<int>(n1),
                                              static_cast<int>(n2));
      r.p_value = std::min(1.0, 2.0 * sf);
      break;
    }
    case MannWhitneyMethod::kAsymptotic: {
      const double dn = static_cast<double>(n);
      const double var = nn / 12.0 * ((dn + 1.0) - tie_term / (dn * (dn - 1.0)));
      double num = r.u - nn / 2.0;
      num -= 0.5 * ((num > 0.0) - (num < 0.0));  // continuity: toward the mean, never past it
      // All values equal (var == 0): nothing separates the samples, so p = 1 (scipy gives NaN).
      r.p_value = var > 0.0 ? std::min(1.0, std::erfc(std::fabs(num / std::sqrt(var)) / std::sqrt(2.0))) : 1.0;
      break;
    }
    case MannWhitneyMethod::kAuto:
      throw std::logic_error("mann_whitney_u: method still kAuto after choosing");
  }
  return r;
}

const char* mann_whitney_method_name(MannWhitneyMethod method) {
  switch (method) {
    case MannWhitneyMethod::kAuto: return "auto";
    case MannWhitneyMethod::kExact: return "exact";
    case MannWhitneyMethod::kAsymptotic: return "asymptotic";
  }
  return "?";
}

}  // namespace ablate::stats
