// Factorial designs (run counts, resolution) and the analysis recovering injected effects.
#include "experiments/stats/factorial.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/stats_test_util.h"

namespace ablate::stats {
namespace factorial_test {

using test::SeededNoise;

// y = 100 - 5 A - 3 B + 4 A B (A, B = ±1) + seeded normal noise, 9 repetitions per run. With
// "mean at +1 minus mean at -1" the true effects are A = -10, B = -6, A:B = +8, the rest 0.
std::vector<FactorialRun> synthetic_runs(const std::vector<Levels>& design, uint64_t seed, double sigma = 1.0) {
  SeededNoise noise(seed);
  std::vector<FactorialRun> runs;
  for (const Levels& l : design) {
    const double a = l[0] ? 1 : -1, b = l[1] ? 1 : -1;
    runs.push_back({l, noise.samples(9, 100.0 - 5.0 * a - 3.0 * b + 4.0 * a * b, sigma)});
  }
  return runs;
}

const Effect& find_effect(const FactorialAnalysis& fa, const std::string& name) {
  for (const auto* list : {&fa.main_effects, &fa.interactions})
    for (const Effect& e : *list)
      if (e.name == name) return e;
  throw std::out_of_range("no effect " + name);
}

TEST(FactorialTest, FullFactorialInStandardOrder) {
  const Design d = full_factorial(3);
  ASSERT_EQ(d.runs.size(), 8u);
  EXPECT_EQ(d.runs[0], (Levels{false, false, false}));
  EXPECT_EQ(d.runs[1], (Levels{true, false, false}));  // A alternates fastest
  EXPECT_EQ(d.runs[6], (Levels{false, true, true}));
  EXPECT_EQ(d.names, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(design_resolution(d.runs), kFullResolution);
  EXPECT_TRUE(resolution_at_least_iv(d.runs));
}

TEST(FactorialTest, SmallKUsesTheFullFactorial) {
  for (int k = 1; k <= 5; ++k) EXPECT_EQ(fractional_factorial(k).runs.size(), size_t{1} << k) << k;
  const Design half = fractional_factorial(5, /*full_up_to=*/4);  // I = ABCDE when asked for a fraction
  EXPECT_EQ(half.runs.size(), 16u);
  EXPECT_EQ(design_resolution(half.runs), 5);
  EXPECT_THROW(fractional_factorial(3, 2), std::invalid_argument);
}

TEST(FactorialTest, FractionsForSixToEightFactorsAreResolutionIVIn16Runs) {
  const std::vector<std::vector<std::string>> generators{
      {"E = ABC", "F = BCD"}, {"E = ABC", "F = BCD", "G = ACD"}, {"E = BCD", "F = ACD", "G = ABC", "H = ABD"}};
  for (int k = 6; k <= 8; ++k) {
    const Design d = fractional_factorial(k);
    EXPECT_EQ(d.runs.size(), 16u) << k;
    EXPECT_EQ(d.base_factors, 4);
    EXPECT_EQ(d.generators, generators[k - 6]);
    EXPECT_EQ(design_resolution(d.runs), 4) << k;
    EXPECT_TRUE(resolution_at_least_iv(d.runs)) << k;
  }
}

TEST(FactorialTest, LargerFractionsStayResolutionIV) {
  // k = 9..11 from the table (32 runs), k >= 12 from odd words: 2^(ceil(log2 k) + 1) runs.
  const std::vector<std::pair<int, size_t>> expected{{9, 32},  {10, 32}, {11, 32}, {12, 32},
                                                     {16, 32}, {17, 64}, {25, 64}};
  for (const auto& [k, runs] : expected) {
    const Design d = fractional_factorial(k);
    EXPECT_EQ(d.runs.size(), runs) << k;
    EXPECT_EQ(static_cast<int>(d.runs[0].size()), k);
    EXPECT_TRUE(resolution_at_least_iv(d.runs)) << k;
    if (k <= 16) {  // design_resolution walks all 2^k words
      EXPECT_GE(design_resolution(d.runs), 4) << k;
    }
  }
}

TEST(FactorialTest, ResolutionIIIAndIrregularDesignsAreCaught) {
  // 2^(3-1) with C = AB: main effect C is aliased with A:B.
  std::vector<Levels> res3;
  for (const Levels& r : full_factorial(2).runs) res3.push_back({r[0], r[1], r[0] == r[1]});
  EXPECT_EQ(design_resolution(res3), 3);
  EXPECT_FALSE(resolution_at_least_iv(res3));
  // A full factorial with one run missing is not a regular fraction.
  std::vector<Levels> missing = full_factorial(3).runs;
  missing.pop_back();
  EXPECT_EQ(design_resolution(missing), 0);
  EXPECT_FALSE(resolution_at_least_iv(missing));
}

TEST(FactorialTest, RecoversInjectedMainEffectsAndInteraction) {
  const Design d = full_factorial(3);  // C has no effect
  FactorialOptions o;
  o.bootstrap.seed = 42;
  o.bootstrap.confidence = 0.99;  // 9 effects checked against one fixed seed: keep misses rare by design
  const FactorialAnalysis fa = analyze_factorial(synthetic_runs(d.runs, 42), {"A", "B", "C"}, o);
  ASSERT_EQ(fa.main_effects.size(), 3u);
  ASSERT_EQ(fa.interactions.size(), 3u);
  const std::vector<std::pair<std::string, double>> truth{{"A", -10}, {"B", -6}, {"C", 0},
                                                          {"A:B", 8}, {"A:C", 0}, {"B:C", 0}};
  for (const auto& [name, value] : truth) {
    const Effect& e = find_effect(fa, name);
    EXPECT_NEAR(e.estimate, value, 1.0) << name;
    EXPECT_TRUE(e.ci.contains(value)) << name << " [" << e.ci.lo << ", " << e.ci.hi << "]";
    if (value != 0) {
      EXPECT_FALSE(e.ci.contains(0.0)) << name;
    }
    EXPECT_TRUE(e.aliases.empty()) << name;
  }
  EXPECT_NEAR(fa.grand_mean, 100.0, 1.0);
}

TEST(FactorialTest, AnalysisIsReproducibleWithTheSeed) {
  const auto runs = synthetic_runs(full_factorial(2).runs, 3);
  FactorialOptions o;
  o.bootstrap.seed = 9;
  const auto x = analyze_factorial(runs, {"A", "B"}, o), y = analyze_factorial(runs, {"A", "B"}, o);
  EXPECT_EQ(x.interactions[0].ci.lo, y.interactions[0].ci.lo);
  EXPECT_EQ(x.interactions[0].ci.hi, y.interactions[0].ci.hi);
  o.bootstrap.seed = 10;
  const auto z = analyze_factorial(runs, {"A", "B"}, o);
  EXPECT_TRUE(z.interactions[0].ci.lo != x.interactions[0].ci.lo || z.interactions[0].ci.hi != x.interactions[0].ci.hi);
}

TEST(FactorialTest, ResolutionIVFractionReportsInteractionAliases) {
  // k = 6 in 16 runs (E = ABC, F = BCD): main effects are clear of two-factor interactions, and
  // A:B is aliased with C:E (ABCE is a word), so its estimate is A:B + C:E = 8 + 0.
  const Design d = fractional_factorial(6);
  const FactorialAnalysis fa = analyze_factorial(synthetic_runs(d.runs, 5), d.names);
  EXPECT_NEAR(find_effect(fa, "A").estimate, -10.0, 1.0);
  EXPECT_NEAR(find_effect(fa, "B").estimate, -6.0, 1.0);
  EXPECT_TRUE(find_effect(fa, "A").aliases.empty());
  const Effect& ab = find_effect(fa, "A:B");
  EXPECT_NEAR(ab.estimate, 8.0, 1.0);
  EXPECT_NE(std::find(ab.aliases.begin(), ab.aliases.end(), "C:E"), ab.aliases.end());
}

TEST(FactorialTest, BadInputThrows) {
  const auto runs = synthetic_runs(full_factorial(2).runs, 1);
  EXPECT_THROW(analyze_factorial(runs, {"A"}, {}), std::invalid_argument);  // names vs factors
  std::vector<FactorialRun> constant = runs;
  for (auto& r : constant) r.levels[1] = true;  // B never varies
  EXPECT_THROW(analyze_factorial(constant, {"A", "B"}, {}), std::invalid_argument);
  std::vector<FactorialRun> empty = runs;
  empty[2].samples.clear();
  EXPECT_THROW(analyze_factorial(empty, {"A", "B"}, {}), std::invalid_argument);
}

TEST(FactorialTest, RandomizedOrderIsASeededPermutation) {
  const auto a = randomized_order(16, 1), b = randomized_order(16, 1), c = randomized_order(16, 2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) EXPECT_EQ(sorted[i], i);
}

}  // namespace factorial_test
}  // namespace ablate::stats
