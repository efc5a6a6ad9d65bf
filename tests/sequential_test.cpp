// The group-sequential stopping rule: its look schedule and levels, single decisions on constructed
// samples, and a seeded simulation of its error rates, stopping points and agreement with the fixed
// protocol's compare() at the maximum.
#include "experiments/stats/sequential.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "tests/stats_test_util.h"

namespace ablate::stats {
namespace sequential_test {

using test::SeededNoise;

TEST(SequentialTest, LookSchedule) {
  EXPECT_EQ(look_schedule({}), (std::vector<int>{5, 10, 15, 20}));
  SequentialRule r;
  r.max_repetitions = 12;
  EXPECT_EQ(look_schedule(r), (std::vector<int>{5, 10, 12}));  // the maximum is always a look
  r.min_repetitions = 12;
  EXPECT_EQ(look_schedule(r), (std::vector<int>{12}));
}

TEST(SequentialTest, RuleErrorsNameTheField) {
  auto message = [](SequentialRule r, Thresholds t = {}) {
    try {
      sequential_decide({1.0}, {}, t, r);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  SequentialRule r;
  r.min_repetitions = 0;
  EXPECT_EQ(message(r), "sequential rule: min_repetitions: expected >= 1, found 0");
  r = {};
  r.max_repetitions = 4;
  EXPECT_EQ(message(r), "sequential rule: max_repetitions: expected >= min_repetitions 5, found 4");
  r = {};
  r.look_step = 0;
  EXPECT_EQ(message(r), "sequential rule: look_step: expected >= 1, found 0");
  r = {};
  r.interim_equivalence_alpha = 1.5;
  EXPECT_EQ(message(r), "sequential rule: interim_equivalence_alpha: expected a level in [0, 1), found 1.500000");
  r = {};
  r.interim_alpha = 0.05;
  EXPECT_EQ(message(r),
            "sequential rule: interim_alpha: expected below thresholds.alpha 0.050000 (the last look needs a level), "
            "found 0.050000");
  EXPECT_THROW(sequential_decide({1.0}, std::vector<double>(21, 1.0), {}, {}), std::invalid_argument);
}

TEST(SequentialTest, LevelsPerLookSpendTheWholeAlpha) {
  const SequentialRule r;
  const Thresholds t;
  double spent = 0.0;
  for (int look = 1; look <= 4; ++look) {
    const Thresholds l = look_thresholds(r, t, look);
    spent += l.alpha;
    if (look < 4) {
      EXPECT_DOUBLE_EQ(l.alpha, 0.01 / 3.0);
      EXPECT_DOUBLE_EQ(l.bootstrap.confidence, 1.0 - 2.0 * 0.01 / 3.0);
    } else {
      EXPECT_DOUBLE_EQ(l.alpha, 0.04);
      EXPECT_DOUBLE_EQ(l.bootstrap.confidence, 0.95);
    }
    EXPECT_EQ(l.rel, t.rel);
    EXPECT_EQ(l.abs_ms, t.abs_ms);
  }
  EXPECT_NEAR(spent, t.alpha, 1e-15);
  EXPECT_THROW(look_thresholds(r, t, 5), std::invalid_argument);
  EXPECT_EQ(sequential_rule_summary(r, t),
            "group-sequential: looks at 5,10,15,20 reps; FASTER/SLOWER alpha 0.05 (0.00333 per interim look, "
            "0.04 at the last); early SAME: 99.33 % CI within +-practical");
  SequentialRule one;
  one.min_repetitions = 20;
  EXPECT_EQ(sequential_rule_summary(one, t),
            "group-sequential: looks at 20 reps; FASTER/SLOWER alpha 0.05 (one look: the fixed protocol)");
}

TEST(SequentialTest, MinAttainableP) {
  EXPECT_DOUBLE_EQ(min_attainable_p(5, 5), 2.0 / 252.0);
  EXPECT_NEAR(min_attainable_p(20, 5), 2.0 / 53130.0, 1e-18);
  EXPECT_DOUBLE_EQ(min_attainable_p(1, 1), 1.0);
  // The exact test reaches it on fully separated samples.
  EXPECT_NEAR(mann_whitney_u({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}).p_value, 2.0 / 252.0, 1e-15);
}

TEST(SequentialTest, ContinuesBeforeAndBetweenLooksWithoutATest) {
  const auto base = SeededNoise(1).samples(20, 1000.0, 10.0);
  const auto cand = SeededNoise(2).samples(20, 1000.0, 10.0);
  SequentialDecision d = sequential_decide(base, {cand.begin(), cand.begin() + 3}, {});
  EXPECT_EQ(d.action, SequentialAction::kContinue);
  EXPECT_FALSE(d.tested);
  EXPECT_EQ(d.look, 0);
  EXPECT_EQ(d.next_repetitions, 5);
  EXPECT_EQ(d.reason, "no look at 3 repetitions; next look at 5");
  d = sequential_decide(base, {cand.begin(), cand.begin() + 7}, {});
  EXPECT_FALSE(d.tested);
  EXPECT_EQ(d.look, 1);
  EXPECT_EQ(d.next_repetitions, 10);
  EXPECT_DOUBLE_EQ(d.alpha_spent, 0.01 / 3.0);
  // The same replayed: with 7 samples only the look at 5 is taken.
  d = sequential_replay(base, {cand.begin(), cand.begin() + 7}, {});
  EXPECT_TRUE(d.tested);
  EXPECT_EQ(d.look, 1);
  EXPECT_EQ(d.repetitions, 5);
}

TEST(SequentialTest, OneLookIsExactlyCompare) {
  SequentialRule one;
  one.min_repetitions = 10;
  one.max_repetitions = 10;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const auto base = SeededNoise(seed).samples(10, 1000.0, 8.0);
    const auto cand = SeededNoise(seed + 100).samples(10, 1000.0 + 2.0 * static_cast<double>(seed), 8.0);
    const SequentialDecision d = sequential_decide(base, cand, {}, one);
    const Comparison c = compare(base, cand, {});
    EXPECT_EQ(d.action, SequentialAction::kStop);
    EXPECT_EQ(d.verdict, c.verdict) << seed;
    EXPECT_EQ(d.comparison.p_value, c.p_value);
    EXPECT_EQ(d.comparison.diff_ci.lo, c.diff_ci.lo);
    EXPECT_EQ(d.comparison.diff_ci.hi, c.diff_ci.hi);
    EXPECT_DOUBLE_EQ(d.alpha_spent, 0.05);
  }
}

TEST(SequentialTest, ClearEffectsStopAtTheFirstLook) {
  const auto base = SeededNoise(1).samples(20, 1000.0, 5.0);
  SequentialDecision d = sequential_replay(base, SeededNoise(2).samples(20, 950.0, 5.0), {});
  EXPECT_EQ(d.action, SequentialAction::kStop);
  EXPECT_EQ(d.verdict, Verdict::kFaster) << d.reason;
  EXPECT_EQ(d.look, 1);
  EXPECT_EQ(d.repetitions, 5);
  EXPECT_LT(d.comparison.p_value, d.look_alpha);
  EXPECT_EQ(d.reason.rfind("look 1/4 at 5 reps: p ", 0), 0u) << d.reason;
  d = sequential_replay(base, SeededNoise(3).samples(20, 1050.0, 5.0), {});
  EXPECT_EQ(d.verdict, Verdict::kSlower) << d.reason;
  EXPECT_EQ(d.look, 1);
  // A quiet A/A pair (CV 0.1 %): the 99.33 % CI fits inside +-10 ms at once.
  d = sequential_replay(base, SeededNoise(4).samples(20, 1000.0, 1.0), {});
  EXPECT_EQ(d.verdict, Verdict::kSame) << d.reason;
  EXPECT_EQ(d.look, 1);
  EXPECT_EQ(d.reason.rfind("look 1/4 at 5 reps: 99.33 % CI [", 0), 0u) << d.reason;
}

TEST(SequentialTest, UndecidedInterimLooksContinue) {
  // A 0.5 % change at CV 1 %: neither FASTER at alpha_1 nor inside +-10 ms at 99.33 %.
  const auto base = SeededNoise(5).samples(20, 1000.0, 10.0);
  const auto cand = SeededNoise(6).samples(5, 995.0, 10.0);
  const SequentialDecision d = sequential_decide(base, cand, {});
  EXPECT_EQ(d.action, SequentialAction::kContinue);
  EXPECT_EQ(d.verdict, Verdict::kAmbiguous);
  EXPECT_TRUE(d.tested);
  EXPECT_EQ(d.next_repetitions, 10);
  EXPECT_DOUBLE_EQ(d.look_equivalence_alpha, 0.01 / 3.0);
  EXPECT_DOUBLE_EQ(d.comparison.p_value, compare(base, cand, look_thresholds({}, {}, 1)).p_value);
  char expected[256];
  std::snprintf(expected, sizeof(expected),
                "look 1/4 at 5 reps: undecided (p %.3g, 99.33 %% CI [%.3f, %.3f] ms vs +-%.3f ms); "
                "next look at 10 reps",
                d.comparison.p_value, d.comparison.diff_ci.lo, d.comparison.diff_ci.hi, d.comparison.practical_ms);
  EXPECT_EQ(d.reason, expected);
}

TEST(SequentialTest, NoEarlySameWithoutAnEquivalenceBudget) {
  const auto base = SeededNoise(1).samples(20, 1000.0, 5.0);
  const auto quiet = SeededNoise(4).samples(20, 1000.0, 1.0);  // SAME at look 1 by default
  SequentialRule r;
  r.interim_equivalence_alpha = 0.0;
  const SequentialDecision d = sequential_replay(base, quiet, {}, r);
  EXPECT_EQ(d.look, 4);
  EXPECT_EQ(d.verdict, Verdict::kSame) << d.reason;
  EXPECT_EQ(look_thresholds(r, {}, 1).bootstrap.confidence, 0.95);
  EXPECT_EQ(sequential_rule_summary(r, {}),
            "group-sequential: looks at 5,10,15,20 reps; FASTER/SLOWER alpha 0.05 (0.00333 per interim look, "
            "0.04 at the last); no early SAME");
}

// ~~~~~~~~~~ Simulation ~~~~~~~~~~

enum class Noise { kNormal, kLogNormal };

// n samples with median-ish level mean_ms and coefficient of variation cv: normal, or log-normal
// with the same mean and CV (sigma^2 = log(1 + cv^2)), the right-skewed shape GPU timings have.
std::vector<double> draw(SeededNoise& noise, Noise kind, int n, double mean_ms, double cv) {
  std::vector<double> v;
  const double s = std::sqrt(std::log1p(cv * cv));
  for (int i = 0; i < n; ++i) {
    const double z = noise.normal();
    v.push_back(kind == Noise::kNormal ? mean_ms * (1.0 + cv * z) : mean_ms * std::exp(s * z - s * s / 2.0));
  }
  return v;
}

struct Tally {
  int trials = 0, faster = 0, slower = 0, same = 0, ambiguous = 0, agree = 0;
  double repetitions = 0.0;  // summed stopping points
  void add(Verdict v, int reps, Verdict fixed) {
    ++trials;
    repetitions += reps;
    agree += v == fixed;
    switch (v) {
      case Verdict::kFaster: ++faster; break;
      case Verdict::kSlower: ++slower; break;
      case Verdict::kSame: ++same; break;
      case Verdict::kAmbiguous: ++ambiguous; break;
    }
  }
  double rate(int k) const { return static_cast<double>(k) / trials; }
  double decided_wrong() const { return rate(faster + slower); }  // in an A/A cell
  double mean_repetitions() const { return repetitions / trials; }
};

struct Simulation {
  Tally aa, aa_fixed;  // effect 0 at CV 1, 2, 3 %: the sequential rule, and compare() at 20 reps
  Tally aa_quiet;      // effect 0 at CV 0.5 % (what a warm H100 shows on the 1.3b workload)
  Tally aa_cv1;        // effect 0 at CV 1 %
  Tally large;         // |effect| 3 % at CV 1, 2, 3 %
  Tally all;           // every trial
};

// Every trial: a 1000 ms baseline measured 20 times and a candidate with a true relative effect
// measured up to 20 times (looks at 5, 10, 15, 20), thresholds 1 % / 5 ms, no noise floor. Cells:
// {normal, log-normal} x CV {1, 2, 3 %} x effect {0, -0.5, +0.5, -3, +3 %}, 40 trials per A/A
// cell and 20 per other cell, plus A/A at CV 0.5 % (40 per noise). The fixed protocol is
// compare() on all 20 candidate samples; the rule replays the same samples, so a disagreement
// comes from the rule alone.
Simulation simulate() {
  const auto start = std::chrono::steady_clock::now();
  Simulation s;
  Thresholds t;
  t.bootstrap.resamples = 500;  // a quarter of the default: keeps the simulation near 1.5 s
  const SequentialRule rule;
  uint64_t seed = 1;
  auto cell = [&](Noise kind, double cv, double effect, int trials) {
    Tally c;
    for (int trial = 0; trial < trials; ++trial) {
      SeededNoise noise(seed++);
      const auto base = draw(noise, kind, 20, 1000.0, cv);
      const auto cand = draw(noise, kind, 20, 1000.0 * (1.0 + effect), cv);
      t.bootstrap.seed = seed;
      const Verdict fixed = compare(base, cand, t).verdict;
      const SequentialDecision d = sequential_replay(base, cand, t, rule);
      EXPECT_EQ(d.action, SequentialAction::kStop);
      c.add(d.verdict, d.repetitions, fixed);
      if (cv == 0.005) {
        s.aa_quiet.add(d.verdict, d.repetitions, fixed);
        continue;
      }
      s.all.add(d.verdict, d.repetitions, fixed);
      if (effect == 0.0) {
        s.aa.add(d.verdict, d.repetitions, fixed);
        s.aa_fixed.add(fixed, 20, fixed);
        if (cv == 0.01) s.aa_cv1.add(d.verdict, d.repetitions, fixed);
      }
      if (std::fabs(effect) == 0.03) s.large.add(d.verdict, d.repetitions, fixed);
    }
    std::printf("%-9s CV %.1f %% effect %+.1f %%: FASTER %2d SLOWER %2d SAME %2d AMBIGUOUS %2d, mean reps %5.2f, "
                "agree %3.0f %%\n",
                kind == Noise::kNormal ? "normal" : "lognormal", 100 * cv, 100 * effect, c.faster, c.slower,
                c.same, c.ambiguous, c.mean_repetitions(), 100.0 * c.rate(c.agree));
  };
  for (const Noise kind : {Noise::kNormal, Noise::kLogNormal}) {
    cell(kind, 0.005, 0.0, 40);
    for (const double cv : {0.01, 0.02, 0.03})
      for (const double effect : {0.0, -0.005, 0.005, -0.03, 0.03})
        cell(kind, cv, effect, effect == 0.0 ? 40 : 20);
  }
  std::printf("A/A: %d trials, FASTER/SLOWER %.4f (fixed protocol %.4f), SAME %.3f (CV 1 %%: %.3f, CV 0.5 %%: "
              "%.3f at %.2f mean reps)\n",
              s.aa.trials, s.aa.decided_wrong(), s.aa_fixed.decided_wrong(), s.aa.rate(s.aa.same),
              s.aa_cv1.rate(s.aa_cv1.same), s.aa_quiet.rate(s.aa_quiet.same), s.aa_quiet.mean_repetitions());
  std::printf("|effect| 3 %%: mean reps %.2f; all %d trials: mean reps %.2f, agreement %.4f; %.2f s\n",
              s.large.mean_repetitions(), s.all.trials, s.all.mean_repetitions(), s.all.rate(s.all.agree),
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return s;
}

// One test, so that ctest (a process per test) runs the simulation once.
TEST(SequentialTest, SimulatedErrorRatesStoppingAndAgreement) {
  const Simulation s = simulate();
  // (a) Type-I error: FASTER or SLOWER when the truth is 0 stays within thresholds.alpha = 0.05.
  EXPECT_LE(s.aa.decided_wrong(), 0.05);
  EXPECT_LE(s.aa_quiet.decided_wrong(), 0.05);
  // (b) A/A comes out SAME, or at worst AMBIGUOUS (undecided): at CV <= 1 % mostly SAME, and at
  // CV 0.5 % usually before the maximum. At CV 2-3 % with a 1 % threshold even 20 repetitions
  // rarely show SAME (the CI of the median difference is about +-1.5 %), for the rule and
  // compare() alike.
  EXPECT_GE(s.aa_cv1.rate(s.aa_cv1.same), 0.75);
  EXPECT_GE(s.aa_quiet.rate(s.aa_quiet.same), 0.95);
  EXPECT_LT(s.aa_quiet.mean_repetitions(), 15.0);
  // (c) Large effects stop early: a 3 % change at CV 1-3 % needs about half the maximum.
  EXPECT_LE(s.large.mean_repetitions(), 12.0);
  EXPECT_LT(s.all.mean_repetitions(), 20.0);
  // (d) Verdicts agree with the fixed protocol's compare() at 20 repetitions in >= 95 % of trials.
  EXPECT_GE(s.all.rate(s.all.agree), 0.95);
}

}  // namespace sequential_test
}  // namespace ablate::stats
