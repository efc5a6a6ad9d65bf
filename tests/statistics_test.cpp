// Sample statistics, bootstrap reproducibility and the Mann-Whitney U test against known values.
// Literals marked "python" were computed with /usr/bin/python3 and the standard library only:
// exact p-values by enumerating every itertools.combinations(range(1, N + 1), n1) rank set (or by
// the integer recurrence f(m, n, u) = f(m - 1, n, u - n) + f(m, n - 1, u) with fractions.Fraction),
// asymptotic p-values by the normal formula written out with math.erfc.
#include "experiments/stats/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace ablate::stats {
namespace statistics_test {

TEST(StatisticsTest, MeanMedianStddevCv) {
  const std::vector<double> x{2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(mean(x), 5.0);
  EXPECT_DOUBLE_EQ(median(x), 4.5);                 // even n: (4 + 5) / 2
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(stddev(x), std::sqrt(32.0 / 7.0));  // sum of squares 32, ddof 1
  EXPECT_DOUBLE_EQ(cv(x), std::sqrt(32.0 / 7.0) / 5.0);
  EXPECT_DOUBLE_EQ(stddev({42.0}), 0.0);
}

TEST(StatisticsTest, QuantileIsNumpyType7) {
  // sorted [1, 1, 2, 3, 4, 5, 6, 9]; h = 7 q; x[floor h] + frac(h) (x[floor h + 1] - x[floor h])
  const std::vector<double> x{3, 1, 4, 1, 5, 9, 2, 6};
  EXPECT_DOUBLE_EQ(quantile(x, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(quantile(x, 0.3), 2.1);   // h = 2.1: 2 + 0.1 * (3 - 2)
  EXPECT_DOUBLE_EQ(quantile(x, 0.5), 3.5);   // h = 3.5: the median
  EXPECT_DOUBLE_EQ(quantile(x, 0.9), 6.9);   // h = 6.3: 6 + 0.3 * (9 - 6)
  EXPECT_DOUBLE_EQ(quantile(x, 1.0), 9.0);
  EXPECT_DOUBLE_EQ(quantile({7.0}, 0.25), 7.0);
  EXPECT_THROW(quantile(x, 1.5), std::invalid_argument);
}

TEST(StatisticsTest, Mad) {
  // median 2, |x - 2| = [1, 1, 0, 0, 2, 4, 7] -> 1
  EXPECT_DOUBLE_EQ(mad({1, 1, 2, 2, 4, 6, 9}), 1.0);
  EXPECT_DOUBLE_EQ(mad({5, 5, 5}), 0.0);
}

TEST(StatisticsTest, EmptySampleThrowsWithTheFunctionName) {
  try {
    median({});
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("median"), std::string::npos) << e.what();
  }
}

TEST(StatisticsTest, BootstrapIsReproducibleWithTheSeed) {
  const std::vector<double> x{1012.3, 1003.1, 998.7, 1020.4, 1001.0, 1007.7, 995.2, 1011.9, 1004.4, 999.9};
  BootstrapOptions o;
  o.seed = 7;
  const Interval a = bootstrap_median_ci(x, o), b = bootstrap_median_ci(x, o);
  EXPECT_EQ(a.lo, b.lo);  // bit-for-bit
  EXPECT_EQ(a.hi, b.hi);
  o.seed = 8;
  const Interval c = bootstrap_median_ci(x, o);
  EXPECT_TRUE(c.lo != a.lo || c.hi != a.hi);
  EXPECT_TRUE(a.contains(median(x)));
  EXPECT_LT(a.lo, a.hi);
  EXPECT_GE(a.lo, 995.2);
  EXPECT_LE(a.hi, 1020.4);
}

TEST(StatisticsTest, BootstrapDifferenceCoversTheShift) {
  std::vector<double> a, b;
  for (int i = 0; i < 15; ++i) {
    const double wiggle = ((i * 7) % 11) - 5.0;  // deterministic spread of +-5
    a.push_back(1000.0 + wiggle);
    b.push_back(950.0 + wiggle);
  }
  BootstrapOptions o;
  o.seed = 3;
  const Interval d = bootstrap_median_difference_ci(a, b, o);
  EXPECT_TRUE(d.contains(-50.0)) << d.lo << " " << d.hi;
  EXPECT_LT(d.hi, 0.0);
  const Interval same = bootstrap_median_difference_ci(a, b, o);
  EXPECT_EQ(d.lo, same.lo);
  EXPECT_EQ(d.hi, same.hi);
}

TEST(StatisticsTest, MannWhitneyPublishedExample) {
  // Shier, "Statistics: 2.3 The Mann-Whitney U Test" (2004), the example in scipy's docs:
  // U_M = 17, p = 0.11 exact (python: 2 * 7 / 126 = 1/9). Asymptotic with continuity correction:
  // z = (17 - 10 - 0.5) / sqrt(20 * 10 / 12) -> p = 0.111346886533140 (scipy prints ...041).
  const std::vector<double> males{19, 22, 16, 29, 24}, females{20, 11, 17, 12};
  const auto r = mann_whitney_u(males, females);
  EXPECT_DOUBLE_EQ(r.u, 17.0);
  EXPECT_EQ(r.method, MannWhitneyMethod::kExact);
  EXPECT_DOUBLE_EQ(r.p_value, 1.0 / 9.0);
  EXPECT_DOUBLE_EQ(mann_whitney_u(females, males).u, 3.0);  // U2 = n1 n2 - U1
  const auto a = mann_whitney_u(males, females, MannWhitneyMethod::kAsymptotic);
  EXPECT_NEAR(a.p_value, 0.11134688653314041, 1e-13);
}

TEST(StatisticsTest, MannWhitneyExactAgainstEnumeration) {
  // python: all C(10, 4) = 210 rank sets, 14 with U >= 21 -> p = 2 * 14 / 210 = 1/15.
  auto r = mann_whitney_u({1.1, 2.3, 3.5, 7.2}, {4.0, 5.5, 6.1, 8.3, 9.9, 10.2});
  EXPECT_DOUBLE_EQ(r.u, 3.0);
  EXPECT_DOUBLE_EQ(r.p_value, 1.0 / 15.0);
  // python: C(15, 7) = 6435 rank sets -> p = 8/6435.
  r = mann_whitney_u({12.5, 14.1, 9.8, 11.0, 15.2, 13.3, 10.4}, {16.0, 17.9, 13.9, 18.4, 16.6, 19.1, 15.7, 17.2});
  EXPECT_DOUBLE_EQ(r.u, 2.0);
  EXPECT_NEAR(r.p_value, 8.0 / 6435.0, 1e-15);
  EXPECT_EQ(r.method, MannWhitneyMethod::kExact);
  // Tail probabilities (python, Fraction): P(U >= 17 | 4, 5) = 1/18, P(U >= 51 | 8, 8) = 107/4290.
  EXPECT_DOUBLE_EQ(mann_whitney_exact_sf(17, 4, 5), 1.0 / 18.0);
  EXPECT_NEAR(mann_whitney_exact_sf(51, 8, 8), 107.0 / 4290.0, 1e-15);
  EXPECT_DOUBLE_EQ(mann_whitney_exact_sf(0, 8, 8), 1.0);
  EXPECT_DOUBLE_EQ(mann_whitney_exact_sf(65, 8, 8), 0.0);
}

TEST(StatisticsTest, MannWhitneyCriticalValuesOfThePublishedTable) {
  // Two-tailed alpha = 0.05 critical values of U (significant when U <= c), as printed in the
  // standard Mann-Whitney tables: the exact p at U = c is <= 0.05 and at U = c + 1 it is > 0.05.
  // (python recomputed every entry from the integer recurrence.)
  struct Row { int n1, n2, critical; };
  for (const Row& t : {Row{5, 5, 2}, Row{6, 6, 5}, Row{7, 7, 8}, Row{8, 8, 13}, Row{10, 10, 23},
                       Row{5, 10, 8}, Row{20, 20, 127}}) {
    const int64_t mn = static_cast<int64_t>(t.n1) * t.n2;
    // P(U <= c) = P(U >= mn - c) by symmetry.
    EXPECT_LE(2.0 * mann_whitney_exact_sf(mn - t.critical, t.n1, t.n2), 0.05) << t.n1 << "x" << t.n2;
    EXPECT_GT(2.0 * mann_whitney_exact_sf(mn - t.critical - 1, t.n1, t.n2), 0.05) << t.n1 << "x" << t.n2;
  }
}

TEST(StatisticsTest, MannWhitneyAsymptoticWithTies) {
  // python: midranks, tie groups t, s^2 = n1 n2 / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1))),
  // z = (18.5 - 50 + 0.5) / s = -2.3630048770431396, p = erfc(|z| / sqrt 2) = 0.018127431043403787.
  const std::vector<double> x{1, 2, 2, 3, 3, 3, 4, 5, 6, 7}, y{3, 4, 4, 5, 6, 6, 7, 8, 9, 9};
  const auto r = mann_whitney_u(x, y);
  EXPECT_TRUE(r.ties);
  EXPECT_EQ(r.method, MannWhitneyMethod::kAsymptotic);
  EXPECT_DOUBLE_EQ(r.u, 18.5);
  EXPECT_NEAR(r.p_value, 0.018127431043403787, 1e-14);
}

TEST(StatisticsTest, MannWhitneyAutoRuleMatchesScipy) {
  // scipy _mwu_choose_method: asymptotic when both n > 8 or when there are ties; exact otherwise.
  std::vector<double> x12, y10;
  for (int i = 0; i < 12; ++i) x12.push_back(3.0 + 4.0 * i);   // 3, 7, ..., 47
  for (int i = 0; i < 10; ++i) y10.push_back(10.0 + 4.0 * i);  // 10, 14, ..., 46
  auto r = mann_whitney_u(x12, y10);
  EXPECT_EQ(r.method, MannWhitneyMethod::kAsymptotic);
  EXPECT_DOUBLE_EQ(r.u, 55.0);
  EXPECT_NEAR(r.p_value, 0.7666793603687382, 1e-14);  // python: z = -0.29672121302810417
  // 3 vs 25, no ties: exact although the second sample is large. python: p = 320/819.
  std::vector<double> y25;
  for (int i = 1; i <= 25; ++i) y25.push_back(i);
  r = mann_whitney_u({0.5, 30.5, 40.5}, y25);
  EXPECT_EQ(r.method, MannWhitneyMethod::kExact);
  EXPECT_DOUBLE_EQ(r.u, 50.0);
  EXPECT_NEAR(r.p_value, 320.0 / 819.0, 1e-15);
  // 9 vs 9 without ties: asymptotic; 8 vs 9: exact; a tie with small n: asymptotic.
  std::vector<double> a9, b9;
  for (int i = 0; i < 9; ++i) a9.push_back(2 * i), b9.push_back(2 * i + 1);
  EXPECT_EQ(mann_whitney_u(a9, b9).method, MannWhitneyMethod::kAsymptotic);
  EXPECT_EQ(mann_whitney_u({a9.begin(), a9.end() - 1}, b9).method, MannWhitneyMethod::kExact);
  EXPECT_EQ(mann_whitney_u({1, 2, 3}, {3, 4, 5}).method, MannWhitneyMethod::kAsymptotic);
}

TEST(StatisticsTest, MannWhitneyIdenticalSamplesGivePOne) {
  EXPECT_DOUBLE_EQ(mann_whitney_u({5, 5, 5}, {5, 5, 5, 5}).p_value, 1.0);  // zero variance: no evidence
  const auto r = mann_whitney_u({1, 2, 3, 4}, {1.5, 2.5, 3.5, 4.5}, MannWhitneyMethod::kExact);
  EXPECT_LE(r.p_value, 1.0);
  EXPECT_THROW(mann_whitney_u({1.0, std::nan("")}, {2.0}), std::invalid_argument);
}

}  // namespace statistics_test
}  // namespace ablate::stats
