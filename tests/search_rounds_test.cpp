// research/search_rounds.h on synthetic data with known answers: the successive-halving search's
// rounds (the best candidate wins, a clearly worse one is dropped in round 1, every round written),
// and the Pareto front of synthetic ledger records (a tier-B stack that is both slower and worse
// than another is dropped, one whose gate failed is left out, each stack keeps its bound).
#include "experiments/research/search_rounds.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/stats_test_util.h"

namespace ablate {
namespace search_rounds_test {

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

TEST(SearchRoundsTest, HalvingRoundsRecordTheKnownAnswer) {
  stats::test::SeededNoise noise(7);
  const std::map<std::string, double> effects{{"best=on", -60.0}, {"bad=on", 50.0}, {"neutral=on", 0.0}};
  auto evaluate = [&](const std::vector<std::string>& stack, int n) {
    double ms = 1000.0;
    for (const auto& s : stack) ms += effects.at(s);
    return noise.samples(n, ms, 4.0);
  };
  std::vector<stats::Candidate> candidates{stats::Candidate("neutral=on"), stats::Candidate("bad=on"),
                                           stats::Candidate("best=on")};
  stats::HalvingSearchOptions o;
  o.halving.thresholds.bootstrap.resamples = 500;
  o.halving.rule.max_repetitions = 10;
  const auto result = stats::halving_search(candidates, evaluate, o);
  ASSERT_EQ(result.best_stack, (std::vector<std::string>{"best=on"}));
  const std::string md = halving_rounds_markdown(result);
  EXPECT_TRUE(contains(md, "\nStep 1 on [baseline]: ")) << md;
  EXPECT_TRUE(contains(md, "\nRound 1: 5 repetitions per candidate, 15 samples")) << md;
  EXPECT_TRUE(contains(md, "| bad=on | 5 | ")) << md;
  EXPECT_TRUE(contains(md, "| dropped: ")) << md;
  EXPECT_TRUE(contains(md, "samples measured (baseline included) against " +
                               std::to_string(result.fixed_protocol_samples))) << md;
  EXPECT_LT(result.samples, result.fixed_protocol_samples);
  const auto j = halving_rounds_json(result);
  ASSERT_EQ(j["steps"].size(), result.steps.size());
  const auto& round1 = j["steps"][0]["rounds"][0];
  EXPECT_EQ(round1["round"], 1);
  ASSERT_EQ(round1["entries"].size(), 3u);
  for (const auto& e : round1["entries"])
    if (e["name"] == "bad=on") {
      EXPECT_TRUE(e["dropped"].get<bool>()) << e.dump();
    }
}

LedgerRecord stack_record(const std::string& id, const std::string& tier, double ms, std::optional<double> psnr,
                          std::optional<GateFindings::Bound> bound) {
  LedgerRecord r;
  r.combination = id;
  r.tier = tier;
  for (int i = 0; i < 9; ++i) r.samples_ms.push_back(ms + (i % 3) - 1.0);
  r.gate.md5_ok = !psnr.has_value();
  r.gate.psnr_db = psnr;
  if (psnr) r.gate.max_abs_u8 = static_cast<int64_t>(std::lround(60.0 - *psnr));
  r.gate.bound = bound;
  return r;
}

TEST(SearchRoundsTest, ParetoFrontOfSyntheticLedger) {
  using Bound = GateFindings::Bound;
  const std::vector<LedgerRecord> records{
      stack_record("baseline", "A", 1000, std::nullopt, std::nullopt),
      stack_record("sync_elim=on", "A", 950, std::nullopt, std::nullopt),          // exact and faster: dominates baseline
      stack_record("q=fp8", "B", 800, 38.0, Bound{35.0, 30, true}),
      stack_record("q=int4", "B", 700, 30.0, Bound{28.0, 40, true}),
      stack_record("q=slow", "B", 900, 33.0, Bound{30.0, 40, true}),              // slower and worse than fp8
      stack_record("q=broken", "B", 500, 20.0, Bound{28.0, 40, false}),           // bound exceeded: out
  };
  const auto stacks = pareto_stacks(records, 5.0);
  ASSERT_EQ(stacks.size(), 5u);
  std::vector<std::string> front, dominated;
  for (const auto& s : stacks) (s.on_front ? front : dominated).push_back(s.stack);
  EXPECT_EQ(front, (std::vector<std::string>{"q=int4", "q=fp8", "sync_elim=on"}));
  EXPECT_EQ(dominated, (std::vector<std::string>{"q=slow", "baseline"}));
  for (const auto& s : stacks)
    if (s.stack == "q=slow") {
      EXPECT_EQ(s.dominated_by, "q=fp8");
    }
  EXPECT_TRUE(std::isinf(stacks[2].point.quality[0]));  // sync_elim=on: bit-identical
  const std::string md = pareto_markdown(stacks);
  EXPECT_TRUE(contains(md, "| q=int4 | B | 700.0 | ")) << md;
  EXPECT_TRUE(contains(md, "| 30.00 | 30 | PSNR >= 28.0 dB, max abs <= 40 (held) | yes |")) << md;
  EXPECT_TRUE(contains(md, "| sync_elim=on | A | 950.0 | ")) << md;
  EXPECT_TRUE(contains(md, "| inf | 0 | tier A: bit-identical | yes |")) << md;
  EXPECT_FALSE(contains(md, "q=broken"));
  const auto j = pareto_json(stacks);
  EXPECT_EQ(j[0]["stack"], "q=int4");
  EXPECT_EQ(j[0]["bound"]["min_psnr_db"], 28.0);
  EXPECT_EQ(j[2]["psnr_db"], "inf");
  EXPECT_EQ(j[3]["dominated_by"], "q=fp8");
}

}  // namespace search_rounds_test
}  // namespace ablate
