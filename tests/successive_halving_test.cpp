// Successive halving on synthetic evaluate functions with known true effects and seeded noise: the
// best candidate survives and wins, clearly worse ones are dropped in the first round, every round
// is recorded, and fewer samples are measured than the fixed protocol would.
#include "experiments/stats/successive_halving.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "tests/stats_test_util.h"

namespace ablate::stats {
namespace successive_halving_test {

using test::SeededNoise;

bool has(const std::vector<std::string>& stack, const std::string& name) {
  return std::find(stack.begin(), stack.end(), name) != stack.end();
}

// A 1000 ms reference with additive effects (ms) and sigma ms (default 8, CV 0.8 %) of seeded
// normal noise. Thresholds: 1 % of the median, so a gain counts from 10 ms.
struct Model {
  Model(uint64_t seed, std::map<std::string, double> effects_, double sigma_ = 8.0)
      : noise(seed), effects(std::move(effects_)), sigma(sigma_) {}

  EvaluateRepetitions evaluate() {
    return [this](const std::vector<std::string>& stack, int n) {
      double ms = 1000.0;
      for (const auto& [name, effect] : effects)
        if (has(stack, name)) ms += effect;
      calls.push_back({stack.empty() ? "" : stack.back(), n});
      if (has(stack, "flaky")) return noise.samples(std::min(n, 3), ms, sigma);  // fails after 3 runs
      return noise.samples(n, ms, sigma);
    };
  }

  SeededNoise noise;
  std::map<std::string, double> effects;
  double sigma;
  std::vector<std::pair<std::string, int>> calls;  // (last stack entry, repetitions)
};

const std::map<std::string, double> kEffects{{"best", -50.0}, {"good", -30.0}, {"neutral", 0.0},
                                             {"tiny", -3.0},  {"bad", 40.0},   {"awful", 100.0}};
const std::vector<std::string> kCandidates{"neutral", "good", "awful", "tiny", "best", "bad"};

HalvingOptions options(uint64_t seed) {
  HalvingOptions o;
  o.thresholds.bootstrap.seed = seed;
  o.thresholds.bootstrap.resamples = 1000;
  return o;
}

const HalvingEntry& entry(const HalvingRound& r, const std::string& name) {
  for (const auto& e : r.entries)
    if (e.name == name) return e;
  throw std::runtime_error("no entry " + name);
}

TEST(SuccessiveHalvingTest, BestWinsWorseDroppedFirstRound) {
  Model model(1, kEffects);
  const auto reference = SeededNoise(100).samples(20, 1000.0, 8.0);
  const HalvingResult r = successive_halving({"base"}, reference, kCandidates, model.evaluate(), options(1));
  ASSERT_EQ(r.winner, 4) << r.decision;  // "best"
  EXPECT_EQ(r.winner_vs_reference.verdict, Verdict::kFaster);
  EXPECT_NEAR(r.winner_vs_reference.diff_ms, -50.0, 12.0);  // medians of 5 and 20 samples
  ASSERT_FALSE(r.rounds.empty());
  const HalvingRound& first = r.rounds[0];
  EXPECT_EQ(first.round, 1);
  EXPECT_EQ(first.repetitions, 5);
  EXPECT_EQ(first.samples, 30);
  ASSERT_EQ(first.entries.size(), 6u);
  EXPECT_EQ(first.entries[0].stack, (std::vector<std::string>{"base", "neutral"}));
  for (const char* worse : {"awful", "bad"}) {
    const HalvingEntry& e = entry(first, worse);
    EXPECT_TRUE(e.dropped) << worse;
    EXPECT_EQ(e.reason.rfind("SLOWER vs the reference; 90 % CI [", 0), 0u) << e.reason;
  }
  EXPECT_EQ(first.leader, "best");
  EXPECT_FALSE(entry(first, "best").dropped);
  // Every round lists exactly the candidates still in at its start.
  for (size_t i = 1; i < r.rounds.size(); ++i) {
    size_t in = 0;
    for (const auto& e : r.rounds[i - 1].entries) in += !e.dropped;
    EXPECT_EQ(r.rounds[i].entries.size(), in);
  }
  int measured = 0;
  for (const auto& round : r.rounds) measured += round.samples;
  EXPECT_EQ(r.samples, measured);
  EXPECT_EQ(r.fixed_protocol_samples, 6 * 20);
  EXPECT_LT(r.samples, r.fixed_protocol_samples);
  // Only new samples are asked for: 5 per candidate in round 1, then 5 more per survivor.
  for (const auto& [name, n] : model.calls) EXPECT_EQ(n, 5) << name;
}

// Over 30 seeds at CV 0.8 % and at CV 2 %: "best" always wins, "awful" and "bad" always go in
// round 1, and on average less than half of the fixed protocol's 120 samples are measured.
class SuccessiveHalvingSeeds : public ::testing::TestWithParam<double> {};

TEST_P(SuccessiveHalvingSeeds, BestSurvivesWorseDroppedSamplesBelowFixed) {
  const double sigma = GetParam();
  int samples = 0, fixed = 0, rounds = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    Model model(seed, kEffects, sigma);
    const auto reference = SeededNoise(seed + 1000).samples(20, 1000.0, sigma);
    const HalvingResult r = successive_halving({}, reference, kCandidates, model.evaluate(), options(seed));
    EXPECT_EQ(r.winner, 4) << "seed " << seed << ": " << r.decision;
    EXPECT_TRUE(entry(r.rounds[0], "awful").dropped) << seed;
    EXPECT_TRUE(entry(r.rounds[0], "bad").dropped) << seed;
    for (const auto& round : r.rounds) EXPECT_FALSE(entry(round, "best").dropped) << seed;
    samples += r.samples;
    fixed += r.fixed_protocol_samples;
    rounds += static_cast<int>(r.rounds.size());
  }
  std::printf("sigma %.0f ms, 30 seeds: %d samples against the fixed protocol's %d (%.2f), %.2f rounds on average\n",
              sigma, samples, fixed, static_cast<double>(samples) / fixed, rounds / 30.0);
  EXPECT_LT(samples, fixed / 2);
}

INSTANTIATE_TEST_SUITE_P(Noise, SuccessiveHalvingSeeds, ::testing::Values(8.0, 20.0));

TEST(SuccessiveHalvingTest, NothingHelpsDropsEveryoneEarly) {
  Model model(3, kEffects);
  const auto reference = SeededNoise(103).samples(20, 1000.0, 8.0);
  const HalvingResult r =
      successive_halving({}, reference, {"awful", "bad", "neutral", "tiny"}, model.evaluate(), options(3));
  EXPECT_EQ(r.winner, -1);
  EXPECT_TRUE(r.winner_samples.empty());
  EXPECT_EQ(r.decision.rfind("nothing helps: ", 0), 0u) << r.decision;
  EXPECT_LT(r.samples, r.fixed_protocol_samples);
}

TEST(SuccessiveHalvingTest, SingleClearWinnerStopsAtTheFirstLook) {
  Model model(4, kEffects);
  const auto reference = SeededNoise(104).samples(20, 1000.0, 8.0);
  const HalvingResult r = successive_halving({}, reference, {"best"}, model.evaluate(), options(4));
  EXPECT_EQ(r.winner, 0);
  ASSERT_EQ(r.rounds.size(), 1u);
  EXPECT_EQ(r.samples, 5);
  EXPECT_EQ(r.winner_samples.size(), 5u);
  EXPECT_EQ(r.decision.rfind("best wins at look 1 (5 reps): the last survivor, FASTER by ", 0), 0u) << r.decision;
  EXPECT_DOUBLE_EQ(r.rounds[0].alpha, 0.01 / 3.0);
  EXPECT_LT(r.winner_vs_reference.p_value, r.rounds[0].alpha);
}

TEST(SuccessiveHalvingTest, CloseCandidatesGoToTheLastLookAndTheLargestGainWins) {
  // Two real gains 2 ms apart with CV 2 %: at 5 samples the CI of their difference is wider than
  // +-(10 ms + 2 ms), so neither is dropped for the other and both reach the last look.
  Model model(5, {{"a", -40.0}, {"b", -42.0}}, 20.0);
  const auto reference = SeededNoise(105).samples(20, 1000.0, 20.0);
  HalvingOptions o = options(5);
  o.rule.min_repetitions = 5;
  o.rule.max_repetitions = 10;  // looks at 5 and 10
  const HalvingResult r = successive_halving({}, reference, {"a", "b"}, model.evaluate(), o);
  ASSERT_GE(r.winner, 0) << r.decision;
  ASSERT_EQ(r.rounds.size(), 2u) << r.decision;
  EXPECT_DOUBLE_EQ(r.rounds[1].alpha, 0.04);
  const auto& last = r.rounds[1].entries;
  ASSERT_EQ(last.size(), 2u);
  const size_t w = static_cast<size_t>(r.winner);
  EXPECT_LE(last[w].vs_reference.diff_ms, last[1 - w].vs_reference.diff_ms);
  EXPECT_EQ(last[w].reason.rfind("wins: FASTER at the last look: ", 0), 0u) << last[w].reason;
  EXPECT_EQ(r.decision.rfind(last[w].name + " wins at the last look (10 reps): FASTER by ", 0), 0u) << r.decision;
  EXPECT_EQ(r.samples, 20);
}

TEST(SuccessiveHalvingTest, FailedMeasurementIsDroppedAsInvalid) {
  Model model(6, kEffects);
  const auto reference = SeededNoise(106).samples(20, 1000.0, 8.0);
  const HalvingResult r = successive_halving({}, reference, {"flaky", "best"}, model.evaluate(), options(6));
  EXPECT_EQ(r.winner, 1);
  const HalvingEntry& e = entry(r.rounds[0], "flaky");
  EXPECT_TRUE(e.dropped);
  EXPECT_EQ(e.reason, "INVALID: failed: returned 3 of 5 samples; 3 repetitions, below the minimum 5");
  EXPECT_EQ(e.repetitions, 3);
}

TEST(SuccessiveHalvingTest, TheCvLimitWaitsForTheDecision) {
  // 5 samples with one fast outlier: CV 6.6 %, above the 5 % limit, but clearly faster otherwise. It is
  // not dropped at look 1 and cannot win there; 5 quiet samples more bring the CV to 4.6 %.
  std::vector<std::vector<double>> batches{{880, 885, 890, 895, 760}, {884, 886, 888, 890, 892}};
  size_t call = 0;
  auto evaluate = [&](const std::vector<std::string>&, int n) {
    EXPECT_EQ(n, 5);
    return batches.at(call++);
  };
  const auto reference = SeededNoise(108).samples(20, 1000.0, 8.0);
  const HalvingResult r = successive_halving({}, reference, {"spiky"}, evaluate, options(8));
  ASSERT_EQ(r.rounds.size(), 2u) << r.decision;
  const HalvingEntry& first = r.rounds[0].entries.at(0);
  EXPECT_FALSE(first.dropped);
  EXPECT_EQ(first.vs_reference.verdict, Verdict::kFaster);
  EXPECT_EQ(first.reason, "FASTER, but CV 6.65 % above the limit 5.00 %: measured on");
  EXPECT_EQ(r.winner, 0);
  EXPECT_EQ(r.rounds[1].entries.at(0).reason.rfind("wins: the last survivor, FASTER (p ", 0), 0u);
}

TEST(SuccessiveHalvingTest, ResultFlagsDropACandidate) {
  Model model(7, kEffects);
  const auto reference = SeededNoise(107).samples(20, 1000.0, 8.0);
  HalvingOptions o = options(7);
  o.result_flags = [](const std::vector<std::string>& stack) {
    ResultFlags f;
    f.md5_gate_failed = has(stack, "best");
    return f;
  };
  const HalvingResult r = successive_halving({}, reference, {"best", "good"}, model.evaluate(), o);
  EXPECT_EQ(r.winner, 1);
  EXPECT_EQ(entry(r.rounds[0], "best").reason, "INVALID: MD5 gate failed");
}

TEST(SuccessiveHalvingTest, ArgumentErrors) {
  Model model(8, kEffects);
  const auto eval = model.evaluate();
  auto message = [&](const std::vector<std::string>& c, const HalvingOptions& o) {
    try {
      successive_halving({}, {1000.0}, c, eval, o);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({"a", "a"}, {}), "successive_halving: duplicate candidate a");
  EXPECT_EQ(message({}, {}), "successive_halving: expected at least one candidate");
  HalvingOptions o;
  o.drop_confidence = 1.0;
  EXPECT_EQ(message({"a"}, o), "successive_halving: drop_confidence: expected a level in (0, 1), found 1.000000");
  o = {};
  o.rule.min_repetitions = 3;
  EXPECT_EQ(message({"a"}, o),
            "successive_halving: rule.min_repetitions: expected >= limits.min_repetitions 5 (fewer are INVALID), "
            "found 3");
  EXPECT_THROW(successive_halving({}, {}, {"a"}, eval, {}), std::invalid_argument);
}

// ~~~~~~~~~~ The search ~~~~~~~~~~

// search_test.cpp's cost model: prewarm -80, sync_elim -50, cuda_graph -60 only with sync_elim,
// bad_split +40, tiny_fuse -10 (inside the 15 ms noise floor), fp8 -100 (tier B), multi_gpu
// (never valid on one GPU); 2 ms of noise.
TEST(SuccessiveHalvingTest, SearchFindsTheKnownBestStackWithFewerSamples) {
  SeededNoise noise(9);
  auto evaluate = [&](const std::vector<std::string>& s, int n) {
    double ms = 1000.0;
    if (has(s, "prewarm")) ms -= 80.0;
    if (has(s, "sync_elim")) ms -= 50.0;
    if (has(s, "cuda_graph") && has(s, "sync_elim")) ms -= 60.0;
    if (has(s, "bad_split")) ms += 40.0;
    if (has(s, "tiny_fuse")) ms -= 10.0;
    if (has(s, "fp8")) ms -= 100.0;
    return noise.samples(n, ms, 2.0);
  };
  std::vector<Candidate> c{{"tiny_fuse"}, {"cuda_graph"}, {"bad_split"}, {"sync_elim"}, {"prewarm"},
                           {"fp8", Tier::kB}, {"multi_gpu"}};
  c.back().validate = [](const std::vector<std::string>&) { return std::string("needs world_size > 1"); };
  HalvingSearchOptions o;
  o.halving.thresholds.rel = 0.001;
  o.halving.thresholds.abs_ms = 1.0;
  o.halving.thresholds.noise_floor_ms = 15.0;
  o.halving.thresholds.bootstrap.resamples = 1000;
  const HalvingSearchResult r = halving_search(c, evaluate, o);
  EXPECT_EQ(r.best_stack, (std::vector<std::string>{"prewarm", "sync_elim", "cuda_graph"}));
  EXPECT_EQ(r.stop, StopReason::kNothingHelps);
  ASSERT_EQ(r.chain.size(), 4u);
  EXPECT_NEAR(r.chain[3].median_ms, 810.0, 2.0);
  EXPECT_NEAR(r.chain[3].vs_prior, 870.0 / 810.0, 0.01);
  ASSERT_EQ(r.steps.size(), 4u);  // three winners, then nothing helps
  EXPECT_EQ(r.steps[0].reference_stack, std::vector<std::string>{});
  EXPECT_EQ(r.steps[1].reference_stack, std::vector<std::string>{"prewarm"});
  ASSERT_EQ(r.steps[0].skipped.size(), 2u);
  EXPECT_EQ(r.steps[0].skipped[0].reason, "tier B not allowed");
  EXPECT_EQ(r.steps[0].skipped[1].reason, "needs world_size > 1");
  // Winners were decided at the first look and topped up to 20 samples as the next reference.
  EXPECT_EQ(r.steps[0].result.rounds.size(), 1u);
  EXPECT_EQ(r.steps[0].reference_top_up, 15);
  // Fixed protocol: baseline 20 + (5 + 4 + 3 + 2 candidates) x 20 = 300.
  EXPECT_EQ(r.fixed_protocol_samples, 300);
  std::printf("search: %d samples against the fixed protocol's %d\n", r.samples, r.fixed_protocol_samples);
  EXPECT_LT(r.samples, r.fixed_protocol_samples / 2);
}

TEST(SuccessiveHalvingTest, SearchStopsOnAnInvalidBaseline) {
  auto evaluate = [](const std::vector<std::string>&, int n) { return std::vector<double>(n > 2 ? 2 : n, 1.0); };
  const HalvingSearchResult r = halving_search({{"a"}}, evaluate, {});
  EXPECT_EQ(r.stop, StopReason::kBaselineInvalid);
  EXPECT_EQ(r.baseline_validity.reasons.at(0), "failed: returned 2 of 20 samples");
  EXPECT_TRUE(r.chain.empty());
}

}  // namespace successive_halving_test
}  // namespace ablate::stats
