// The uncertainty-aware Pareto front on hand-constructed point sets with known answers: exact
// points (plain Pareto), overlapping time CIs and the time gap, quality tolerances, two measures
// with +inf PSNR for bit-exact stacks, and argument errors.
#include "experiments/stats/pareto.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace ablate::stats {
namespace pareto_test {

constexpr double kInf = std::numeric_limits<double>::infinity();

QualityMeasure psnr(double tolerance = 0.0) { return {"psnr_db", QualityDirection::kHigherBetter, tolerance}; }
QualityMeasure rel_l2(double tolerance = 0.0) { return {"rel_l2", QualityDirection::kLowerBetter, tolerance}; }

// A point with a time CI of +-half around the median.
ParetoPoint point(std::string name, double ms, double half, std::vector<double> quality) {
  return {std::move(name), ms, {ms - half, ms + half}, std::move(quality)};
}

std::vector<std::string> front_names(const std::vector<ParetoPoint>& points, const ParetoResult& r) {
  std::vector<std::string> out;
  for (const size_t i : r.front) out.push_back(points[i].name);
  return out;
}

TEST(ParetoTest, ExactPointsGiveThePlainParetoFront) {
  // (ms, PSNR dB): D (90, 25) fastest; A (100, 30); B (120, 35) best quality;
  // C (130, 33) slower and worse than B; E (100, 29) as fast as A and worse.
  const std::vector<ParetoPoint> p{point("A", 100, 0, {30}), point("B", 120, 0, {35}), point("C", 130, 0, {33}),
                                   point("D", 90, 0, {25}), point("E", 100, 0, {29})};
  const ParetoResult r = pareto_front(p, {{psnr()}, 0.0});
  EXPECT_EQ(front_names(p, r), (std::vector<std::string>{"D", "A", "B"}));
  ASSERT_EQ(r.dominated.size(), 2u);
  EXPECT_EQ(p[r.dominated[0].index].name, "E");  // fastest first: E (100) before C (130)
  EXPECT_EQ(p[r.dominated[0].by].name, "A");
  EXPECT_EQ(r.dominated[0].reason, "A dominates: not slower (100.000 vs 100.000 ms); psnr_db better (30 vs 29)");
  EXPECT_EQ(p[r.dominated[1].index].name, "C");
  EXPECT_EQ(p[r.dominated[1].by].name, "B");
  EXPECT_EQ(r.dominated[1].reason,
            "B dominates: faster by 10.000 ms (CI [120.000, 120.000] below [130.000, 130.000]); "
            "psnr_db better (35 vs 33)");
}

TEST(ParetoTest, OverlappingTimeCisKeepBothPoints) {
  // Same quality; "fast" is 3 ms faster in median but the CIs (+-5 ms) overlap: no dominance.
  std::vector<ParetoPoint> p{point("fast", 100, 5, {30}), point("slow", 103, 5, {30})};
  ParetoResult r = pareto_front(p, {{psnr()}, 0.0});
  EXPECT_EQ(front_names(p, r), (std::vector<std::string>{"fast", "slow"}));
  EXPECT_EQ(dominates(p[0], p[1], {{psnr()}, 0.0}).reason,
            "not clearly better: not slower (100.000 vs 103.000 ms); psnr_db not worse (30 vs 30)");
  // CIs apart (+-1 ms) but the 3 ms gain is inside a 5 ms gap (noise floor): still both.
  p = {point("fast", 100, 1, {30}), point("slow", 103, 1, {30})};
  r = pareto_front(p, {{psnr()}, 5.0});
  EXPECT_EQ(r.front.size(), 2u);
  // 10 ms apart, CIs apart, gap cleared: "slow" is dominated.
  p = {point("fast", 100, 1, {30}), point("slow", 110, 1, {30})};
  r = pareto_front(p, {{psnr()}, 5.0});
  EXPECT_EQ(front_names(p, r), std::vector<std::string>{"fast"});
  // A point slower in median never dominates, even with better quality and overlapping CIs:
  // within the noise both trade-offs are possible.
  p = {point("quick", 100, 5, {30}), point("sharp", 101, 5, {36})};
  r = pareto_front(p, {{psnr()}, 0.0});
  EXPECT_EQ(front_names(p, r), (std::vector<std::string>{"quick", "sharp"}));
  EXPECT_EQ(dominates(p[1], p[0], {{psnr()}, 0.0}).reason, "slower (101.000 vs 100.000 ms)");
  // Not slower in median, within the noise, and clearly better quality: dominates.
  p = {point("quick", 100, 5, {30}), point("sharp", 99, 5, {36})};
  r = pareto_front(p, {{psnr()}, 0.0});
  EXPECT_EQ(front_names(p, r), std::vector<std::string>{"sharp"});
}

TEST(ParetoTest, QualityToleranceDecidesNotWorseAndClearlyBetter) {
  // "fast" is clearly faster and 0.01 dB worse: with a 0.05 dB tolerance that is no loss.
  const std::vector<ParetoPoint> p{point("fast", 100, 1, {34.99}), point("slow", 120, 1, {35.0})};
  ParetoResult r = pareto_front(p, {{psnr(0.05)}, 0.0});
  EXPECT_EQ(front_names(p, r), std::vector<std::string>{"fast"});
  EXPECT_EQ(r.dominated.at(0).reason,
            "fast dominates: faster by 20.000 ms (CI [99.000, 101.000] below [119.000, 121.000]); "
            "psnr_db within tolerance (34.99 vs 35)");
  // Without a tolerance every 0.01 dB counts: both stay.
  r = pareto_front(p, {{psnr(0.0)}, 0.0});
  EXPECT_EQ(r.front.size(), 2u);
  // A quality gain inside the tolerance is not "clearly better": overlapping times, +0.03 dB, both stay.
  const std::vector<ParetoPoint> q{point("x", 100, 5, {35.03}), point("y", 102, 5, {35.0})};
  EXPECT_EQ(pareto_front(q, {{psnr(0.05)}, 0.0}).front.size(), 2u);
}

TEST(ParetoTest, TwoMeasuresWithBitExactStacks) {
  // Bit-exact (tier A) stacks have PSNR +inf and relative L2 0 against the baseline.
  const ParetoOptions o{{psnr(0.1), rel_l2(1e-4)}, 5.0};
  const std::vector<ParetoPoint> p{
      point("baseline", 1000, 4, {kInf, 0.0}),  // dominated by the exact stack
      point("exact", 800, 4, {kInf, 0.0}),      // fastest exact: on the front
      point("fp8", 600, 4, {38.0, 0.010}),      // faster, lossy: on the front
      point("fp8_worse", 620, 4, {37.0, 0.012}),// slower and worse than fp8: dominated
      point("int4", 500, 4, {31.0, 0.009}),     // fastest; lower PSNR but lower rel_l2: on the front
      point("fp8_tie", 601, 4, {38.05, 0.01005}),  // a tie with fp8 within noise and tolerance: stays
  };
  const ParetoResult r = pareto_front(p, o);
  EXPECT_EQ(front_names(p, r), (std::vector<std::string>{"int4", "fp8", "fp8_tie", "exact"}));
  ASSERT_EQ(r.dominated.size(), 2u);
  EXPECT_EQ(p[r.dominated[0].index].name, "fp8_worse");
  EXPECT_EQ(p[r.dominated[0].by].name, "fp8");
  EXPECT_EQ(p[r.dominated[1].index].name, "baseline");
  EXPECT_EQ(p[r.dominated[1].by].name, "exact");
  EXPECT_EQ(r.dominated[1].reason,
            "exact dominates: faster by 200.000 ms (CI [796.000, 804.000] below [996.000, 1004.000]); "
            "psnr_db not worse (inf vs inf); rel_l2 not worse (0 vs 0)");
  // int4 does not dominate fp8: PSNR 7 dB worse, beyond the tolerance.
  EXPECT_EQ(dominates(p[4], p[2], o).reason, "psnr_db worse (31 vs 38)");
}

TEST(ParetoTest, NoCyclesSoTheFrontIsNeverEmpty) {
  // Three measures with tolerance 1 and equal medians. Were tolerances applied here, each point
  // would beat the next (better by 2 on one measure, worse by only 1 on the others): a > b > c > a,
  // and no point would be left. Equal medians use no tolerance, so only plain Pareto dominance
  // applies and all three stay.
  const ParetoOptions o{{{"q1", QualityDirection::kHigherBetter, 1.0},
                         {"q2", QualityDirection::kHigherBetter, 1.0},
                         {"q3", QualityDirection::kHigherBetter, 1.0}},
                        0.0};
  std::vector<ParetoPoint> p{point("a", 100, 1, {0, 0, 0}), point("b", 100, 1, {-2, 1, 1}),
                             point("c", 100, 1, {-1, -1, 2})};
  ParetoResult r = pareto_front(p, o);
  EXPECT_EQ(front_names(p, r), (std::vector<std::string>{"a", "b", "c"}));
  for (size_t i = 0; i < p.size(); ++i)
    for (size_t j = 0; j < p.size(); ++j) EXPECT_FALSE(dominates(p[i], p[j], o).dominates) << i << j;
  // With distinct medians the tolerances apply, and rule 1 breaks the cycle: the fastest stays.
  p[0].time_ms = 99.5;
  r = pareto_front(p, o);
  EXPECT_EQ(front_names(p, r), (std::vector<std::string>{"a", "c"}));  // a beats b; c, slower, beats nothing
  // One point only: it is the front.
  EXPECT_EQ(pareto_front({p[0]}, o).front, std::vector<size_t>{0});
  EXPECT_TRUE(pareto_front({}, o).front.empty());
}

TEST(ParetoTest, PointFromSamples) {
  const ParetoPoint p = pareto_point("s", {101, 99, 100, 102, 98}, {30.0});
  EXPECT_EQ(p.name, "s");
  EXPECT_DOUBLE_EQ(p.time_ms, 100.0);
  EXPECT_TRUE(p.time_ci.contains(100.0));
  EXPECT_GE(p.time_ci.lo, 98.0);
  EXPECT_LE(p.time_ci.hi, 102.0);
  EXPECT_EQ(p.quality, std::vector<double>{30.0});
}

TEST(ParetoTest, ArgumentErrors) {
  auto message = [](const std::vector<ParetoPoint>& p, const ParetoOptions& o) {
    try {
      pareto_front(p, o);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const ParetoOptions o{{psnr()}, 0.0};
  EXPECT_EQ(message({point("a", 1, 0, {1}), point("a", 2, 0, {1})}, o), "pareto_front: duplicate point a");
  EXPECT_EQ(message({point("a", 1, 0, {1, 2})}, o),
            "pareto_front: point a: quality: expected 1 values (one per measure), found 2");
  EXPECT_EQ(message({point("a", 1, 0, {std::nan("")})}, o),
            "pareto_front: point a: psnr_db: expected a number, found NaN");
  EXPECT_EQ(message({{"a", 5.0, {1.0, 2.0}, {1.0}}}, o),
            "pareto_front: point a: time_ci: expected an interval containing time_ms 5, found [1, 2]");
  EXPECT_EQ(message({}, {{psnr(-1.0)}, 0.0}),
            "pareto_front: measure psnr_db: tolerance: expected >= 0, found -1.000000");
  EXPECT_EQ(message({}, {{psnr()}, -1.0}), "pareto_front: min_time_gap_ms: expected >= 0, found -1.000000");
  EXPECT_STREQ(quality_direction_name(QualityDirection::kLowerBetter), "lower is better");
}

}  // namespace pareto_test
}  // namespace ablate::stats
