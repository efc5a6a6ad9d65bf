// research/adaptive_replay.h and runner/adaptive.h: the adaptive protocol's settings (checked,
// naming the field), and the replay on synthetic ledgers with known answers: a clear 5 % speed-up
// stops FASTER at the first look in every trial, an A/A pair never comes out FASTER or SLOWER and
// at 0.3 % CV comes out SAME, and the verdicts agree with the fixed protocol's.
#include "experiments/research/adaptive_replay.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace ablate {
namespace adaptive_replay_test {

LedgerRecord record(const std::string& id, std::map<std::string, std::string> strategies, std::vector<double> samples) {
  LedgerRecord r;
  r.combination = id;
  r.strategies = std::move(strategies);
  r.samples_ms = std::move(samples);
  r.fingerprint_key = "k";
  return r;
}

TEST(AdaptiveReplayTest, ParsesTheProtocolNamingTheField) {
  EXPECT_FALSE(parse_adaptive(nlohmann::json(), 20, "m.json: adaptive"));
  EXPECT_FALSE(parse_adaptive(false, 20, "m.json: adaptive"));
  auto p = parse_adaptive(true, 20, "m.json: adaptive");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rule.min_repetitions, 5);
  EXPECT_EQ(p->rule.max_repetitions, 20);
  EXPECT_EQ(stats::look_schedule(p->rule), (std::vector<int>{5, 10, 15, 20}));
  p = parse_adaptive(nlohmann::json{{"min_repetitions", 3}, {"look_step", 2}, {"noise_floor_ms", 4.5}}, 8, "a");
  EXPECT_EQ(stats::look_schedule(p->rule), (std::vector<int>{3, 5, 7, 8}));
  EXPECT_EQ(p->thresholds.noise_floor_ms, 4.5);
  EXPECT_EQ(parse_adaptive(true, 3, "a")->rule.min_repetitions, 3);  // fewer repetitions than the first look
  try {
    parse_adaptive(nlohmann::json{{"min_repetitions", 30}}, 20, "m.json: adaptive");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("m.json: adaptive.min_repetitions: expected 1..20 (the repetitions), found 30"),
              std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_adaptive(nlohmann::json{{"looks", 3}}, 20, "a"), UsageError);
  EXPECT_THROW(parse_adaptive(nlohmann::json{{"interim_alpha", 0.05}}, 20, "a"), UsageError);
  EXPECT_THROW(parse_adaptive("yes", 20, "a"), UsageError);
}

TEST(AdaptiveReplayTest, KnownAnswersOnSyntheticLedgers) {
  // 1000 ms at about 0.3 % CV; a 5 % faster candidate; a 0.05 % slower one (within every threshold)
  const std::vector<double> base{1000, 1003, 997, 1001, 999, 1004, 996};
  std::vector<double> faster, same;
  for (double v : base) faster.push_back(v * 0.95);
  for (double v : base) same.push_back(v * 1.0005 + 0.5);
  std::vector<LedgerRecord> records{record("baseline", {}, base), record("a=on", {{"a", "on"}}, faster),
                                    record("b=on", {{"b", "on"}}, same)};
  AdaptiveSimOptions o;
  o.trials = 10;
  o.protocol.thresholds.bootstrap.resamples = 500;
  const auto r = simulate_adaptive({{"synthetic", records}}, o);
  ASSERT_EQ(r.pairs.size(), 3u);  // the baseline against itself, a=on, b=on
  EXPECT_EQ(r.pairs[0].combination, "baseline (A/A)");
  EXPECT_TRUE(r.pairs[0].aa);
  EXPECT_EQ(r.pairs[0].adaptive.faster + r.pairs[0].adaptive.slower, 0);
  EXPECT_EQ(r.pairs[0].adaptive.same, 10);
  EXPECT_EQ(r.pairs[1].recorded_verdict, "FASTER");
  EXPECT_EQ(r.pairs[1].adaptive.faster, 10);
  EXPECT_EQ(r.pairs[1].repetitions, 5.0);  // decided at the first look
  EXPECT_EQ(r.pairs[2].adaptive.same, 10);
  EXPECT_LT(r.mean_repetitions, 20.0);
  EXPECT_EQ(r.agree, r.trials);
  EXPECT_EQ(r.aa_adaptive.same, 10);
  // deterministic for a seed
  EXPECT_EQ(adaptive_sim_markdown(simulate_adaptive({{"synthetic", records}}, o), o), adaptive_sim_markdown(r, o));
  // fewer recorded samples than min_samples: left out
  records[2].samples_ms = {1000, 1001};
  EXPECT_EQ(simulate_adaptive({{"synthetic", records}}, o).pairs.size(), 2u);
}

}  // namespace adaptive_replay_test
}  // namespace ablate
