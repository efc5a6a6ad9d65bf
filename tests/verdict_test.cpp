// Verdicts on constructed samples (clearly faster / slower, identical, inside the noise floor,
// too noisy), the A/A noise floor, and VALID / INVALID reasons.
#include "experiments/stats/verdict.h"

#include <gtest/gtest.h>

#include "tests/stats_test_util.h"

namespace ablate::stats {
namespace verdict_test {

using test::SeededNoise;

// 10 repetitions of a ~2 s video generation with 3 ms of noise (about what a warm H100 shows).
std::vector<double> run(double mean_ms, uint64_t seed, double sigma_ms = 3.0, int n = 10) {
  return SeededNoise(seed).samples(n, mean_ms, sigma_ms);
}

TEST(VerdictTest, ClearlyFasterAndSlower) {
  const auto base = run(2000.0, 1);
  const Comparison f = compare(base, run(1900.0, 2));
  EXPECT_EQ(f.verdict, Verdict::kFaster) << f.reason;
  EXPECT_NEAR(f.diff_ms, -100.0, 5.0);
  EXPECT_NEAR(f.rel, -0.05, 0.003);
  EXPECT_GT(f.ratio, 1.0);
  EXPECT_LT(f.p_value, 0.001);
  EXPECT_LT(f.diff_ci.hi, 0.0);
  const Comparison s = compare(base, run(2100.0, 3));
  EXPECT_EQ(s.verdict, Verdict::kSlower) << s.reason;
  EXPECT_STREQ(verdict_name(s.verdict), "SLOWER");
}

TEST(VerdictTest, IdenticalSamplesAreSame) {
  const auto base = run(2000.0, 1);
  const Comparison c = compare(base, base);
  EXPECT_EQ(c.verdict, Verdict::kSame) << c.reason;
  EXPECT_DOUBLE_EQ(c.diff_ms, 0.0);
  EXPECT_DOUBLE_EQ(c.p_value, 1.0);
  // Two runs of the same configuration: SAME as well.
  EXPECT_EQ(compare(base, run(2000.0, 9)).verdict, Verdict::kSame);
}

TEST(VerdictTest, SignificantButBelowThePracticalThresholdIsNotFaster) {
  // -8 ms with 1 ms noise: p is tiny, but 8 ms < 1 % of 2000 ms = 20 ms.
  const Comparison c = compare(run(2000.0, 1, 1.0), run(1992.0, 2, 1.0));
  EXPECT_LT(c.p_value, 0.001);
  EXPECT_NE(c.verdict, Verdict::kFaster);
  EXPECT_EQ(c.verdict, Verdict::kSame) << c.reason;  // the whole CI sits within +-20 ms
  EXPECT_NEAR(c.practical_ms, 20.0, 0.05);  // 1 % of the measured baseline median
}

TEST(VerdictTest, InsideTheNoiseFloorIsNeverFaster) {
  // Relative and absolute thresholds low enough that only the A/A noise floor (15 ms) stands in
  // the way of a real, significant 10 ms gain. Over many seeds it must never be called FASTER.
  Thresholds t;
  t.rel = 0.001;
  t.abs_ms = 1.0;
  t.noise_floor_ms = 15.0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    t.bootstrap.seed = seed;
    const Comparison c = compare(run(2000.0, 100 + seed, 2.0), run(1990.0, 200 + seed, 2.0), t);
    EXPECT_NE(c.verdict, Verdict::kFaster) << "seed " << seed << ": " << c.reason;
  }
  // Without the floor the same change is FASTER: the floor is what decides.
  t.noise_floor_ms = 0.0;
  EXPECT_EQ(compare(run(2000.0, 100, 2.0), run(1990.0, 200, 2.0), t).verdict, Verdict::kFaster);
}

TEST(VerdictTest, ALargeChangeWithTooFewSamplesIsNotSame) {
  // 3 against 3 (the two H200s' 14b chain with 3 repetitions): the U test's smallest p is 0.1, so
  // a 9 % gain with tight samples is not significant; it must not read as SAME
  const std::vector<double> base{17700.1, 17697.6, 17781.7};
  const std::vector<double> cand{16041.7, 15981.5, 16086.6};
  const auto c = compare(base, cand);
  EXPECT_GE(c.p_value, 0.05);
  EXPECT_EQ(c.verdict, Verdict::kAmbiguous) << c.reason;
  EXPECT_NE(c.reason.find("too few samples"), std::string::npos) << c.reason;
  // the same spread around one median is still SAME
  const std::vector<double> same{17710.0, 17690.0, 17775.0};
  EXPECT_EQ(compare(base, same).verdict, Verdict::kSame) << compare(base, same).reason;
}

TEST(VerdictTest, NoisyAndInconclusiveIsAmbiguous) {
  // 30 ms shift under 100 ms noise, 6 repetitions: not significant and the CI is far wider than 20 ms.
  const Comparison c = compare(run(2000.0, 1, 100.0, 6), run(1970.0, 2, 100.0, 6));
  EXPECT_GE(c.p_value, 0.05);
  EXPECT_EQ(c.verdict, Verdict::kAmbiguous) << c.reason;
  EXPECT_GT(c.diff_ci.half_width(), c.practical_ms);
}

TEST(VerdictTest, ThresholdsTakeTheLargestOfRelAbsAndNoise) {
  Thresholds t;  // rel 1 %, abs 5 ms, floor 0
  EXPECT_DOUBLE_EQ(t.practical_ms(2000.0), 20.0);
  EXPECT_DOUBLE_EQ(t.practical_ms(100.0), 5.0);
  t.noise_floor_ms = 12.0;
  t.noise_k = 2.0;
  EXPECT_DOUBLE_EQ(t.practical_ms(2000.0), 24.0);
}

TEST(VerdictTest, VerdictsAreReproducible) {
  const auto a = run(2000.0, 1), b = run(1995.0, 2);
  const Comparison x = compare(a, b), y = compare(a, b);
  EXPECT_EQ(x.diff_ci.lo, y.diff_ci.lo);
  EXPECT_EQ(x.diff_ci.hi, y.diff_ci.hi);
  EXPECT_EQ(x.verdict, y.verdict);
}

TEST(VerdictTest, NoiseFloorFromAnAARun) {
  const auto a = run(2000.0, 11), b = run(2000.0, 12);
  BootstrapOptions o;
  o.seed = 5;
  const double floor = noise_floor(a, b, o);
  const double expected = std::fabs(median(b) - median(a)) + bootstrap_median_difference_ci(a, b, o).half_width();
  EXPECT_DOUBLE_EQ(floor, expected);
  EXPECT_GT(floor, 0.0);
  EXPECT_LT(floor, 15.0);  // a few sigma of a 3 ms noise, not more
  // Noisier machine, larger floor.
  EXPECT_GT(noise_floor(run(2000.0, 11, 30.0), run(2000.0, 12, 30.0), o), floor);
}

TEST(VerdictTest, ValidWithAWarningBelowNineRepetitions) {
  const ValidityReport ok = check_validity(run(2000.0, 1, 3.0, 12));
  EXPECT_EQ(ok.status, Validity::kValid);
  EXPECT_TRUE(ok.reasons.empty());
  EXPECT_TRUE(ok.warnings.empty());
  const ValidityReport few = check_validity(run(2000.0, 1, 3.0, 7));
  EXPECT_EQ(few.status, Validity::kValid);
  ASSERT_EQ(few.warnings.size(), 1u);
  EXPECT_EQ(few.warnings[0], "7 repetitions, 9+ recommended");
}

TEST(VerdictTest, InvalidReasons) {
  ValidityReport r = check_validity(run(2000.0, 1, 3.0, 3));
  EXPECT_EQ(r.status, Validity::kInvalid);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0], "3 repetitions, below the minimum 5");

  r = check_validity({1000, 1300, 900, 1200, 800, 1100, 1000, 950, 1250});  // CV ~ 15 %
  EXPECT_EQ(r.status, Validity::kInvalid);
  ASSERT_EQ(r.reasons.size(), 1u);
  EXPECT_EQ(r.reasons[0].rfind("CV ", 0), 0u) << r.reasons[0];
  EXPECT_NE(r.reasons[0].find("above the limit 5.00 %"), std::string::npos) << r.reasons[0];

  ResultFlags flags;
  flags.md5_gate_failed = true;
  flags.rank_error = true;
  r = check_validity(run(2000.0, 1, 3.0, 10), flags);
  EXPECT_EQ(r.status, Validity::kInvalid);
  EXPECT_EQ(r.reasons, (std::vector<std::string>{"MD5 gate failed", "rank error"}));
  EXPECT_STREQ(validity_name(r.status), "INVALID");

  ResultFlags failed;
  failed.failure = "CUDA error: out of memory";
  r = check_validity({}, failed);  // no samples: the failure is the one reason
  EXPECT_EQ(r.status, Validity::kInvalid);
  EXPECT_EQ(r.reasons, (std::vector<std::string>{"failed: CUDA error: out of memory"}));

  ValidityLimits strict;
  strict.min_repetitions = 12;
  EXPECT_EQ(check_validity(run(2000.0, 1, 3.0, 10), {}, strict).status, Validity::kInvalid);
}

}  // namespace verdict_test
}  // namespace ablate::stats
