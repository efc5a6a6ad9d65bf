// The greedy stacking search on a synthetic cost model with injected effects and seeded noise.
#include "experiments/stats/search.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/stats_test_util.h"

namespace ablate::stats {
namespace search_test {

using test::SeededNoise;

bool has(const std::vector<std::string>& stack, const std::string& name) {
  return std::find(stack.begin(), stack.end(), name) != stack.end();
}

// A 1000 ms baseline with additive effects (ms):
//   prewarm -80; sync_elim -50; cuda_graph -60 but only together with sync_elim (0 alone);
//   bad_split +40 (harmful); tiny_fuse -10 (real, but inside the 15 ms noise floor);
//   fp8 -100 (tier B); multi_gpu -200 (never valid on one GPU).
// Each evaluation returns 10 samples with 2 ms of seeded normal noise.
struct CostModel {
  explicit CostModel(uint64_t seed) : noise(seed) {}

  double cost(const std::vector<std::string>& s) const {
    double ms = 1000.0;
    if (has(s, "prewarm")) ms -= 80.0;
    if (has(s, "sync_elim")) ms -= 50.0;
    if (has(s, "cuda_graph") && has(s, "sync_elim")) ms -= 60.0;
    if (has(s, "bad_split")) ms += 40.0;
    if (has(s, "tiny_fuse")) ms -= 10.0;
    if (has(s, "fp8")) ms -= 100.0;
    if (has(s, "multi_gpu")) ms -= 200.0;
    return ms;
  }

  Evaluate evaluate() {
    return [this](const std::vector<std::string>& s) {
      ++calls;
      return noise.samples(10, cost(s), 2.0);
    };
  }

  SeededNoise noise;
  int calls = 0;
};

std::vector<Candidate> candidates() {
  std::vector<Candidate> c{{"tiny_fuse"}, {"cuda_graph"}, {"bad_split"}, {"sync_elim"}, {"prewarm"},
                           {"fp8", Tier::kB}, {"multi_gpu"}};
  c.back().validate = [](const std::vector<std::string>&) { return std::string("needs world_size > 1"); };
  return c;
}

SearchOptions options(uint64_t seed) {
  SearchOptions o;
  o.thresholds.rel = 0.001;  // 1 ms: leave the noise floor as the binding threshold for tiny_fuse
  o.thresholds.abs_ms = 1.0;
  o.thresholds.noise_floor_ms = 15.0;  // as an A/A run on a noisier machine would report
  o.thresholds.bootstrap.seed = seed;
  return o;
}

TEST(SearchTest, FindsTheKnownBestStack) {
  CostModel model(1);
  const SearchResult r = greedy_search(candidates(), model.evaluate(), options(1));
  // Largest gain first; cuda_graph only once sync_elim is in.
  EXPECT_EQ(r.best_stack, (std::vector<std::string>{"prewarm", "sync_elim", "cuda_graph"}));
  EXPECT_EQ(r.stop, StopReason::kNothingHelps);
  ASSERT_EQ(r.chain.size(), 4u);
  EXPECT_EQ(r.chain[0].stage, "baseline");
  EXPECT_NEAR(r.chain[0].median_ms, 1000.0, 2.0);
  EXPECT_NEAR(r.chain[3].median_ms, 810.0, 2.0);
  EXPECT_NEAR(r.chain[3].vs_unoptimized, 1000.0 / 810.0, 0.01);
  EXPECT_NEAR(r.chain[3].vs_prior, 870.0 / 810.0, 0.01);
  for (size_t i = 1; i < r.chain.size(); ++i) EXPECT_EQ(r.chain[i].verdict, Verdict::kFaster);
  // 1 baseline + 5 + 4 + 3 + 2 candidate evaluations (fp8 and multi_gpu skipped every round).
  EXPECT_EQ(model.calls, 15);
  EXPECT_EQ(r.evaluations.size(), 15u);
  EXPECT_EQ(r.skipped.size(), 8u);
  EXPECT_EQ(r.skipped[0].reason, "tier B not allowed");
  EXPECT_EQ(r.skipped[1].reason, "needs world_size > 1");
  // cuda_graph alone (round 1) was SAME, bad_split always SLOWER.
  for (const Evaluation& e : r.evaluations) {
    if (e.round == 1 && e.added == "cuda_graph") {
      EXPECT_EQ(e.vs_best.verdict, Verdict::kSame);
    }
    if (e.added == "bad_split") {
      EXPECT_EQ(e.vs_best.verdict, Verdict::kSlower);
    }
  }
}

TEST(SearchTest, NeverKeepsAChangeInsideTheNoiseFloorAcrossSeeds) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    CostModel model(1000 + seed);
    const SearchResult r = greedy_search(candidates(), model.evaluate(), options(seed));
    EXPECT_FALSE(has(r.best_stack, "tiny_fuse")) << "seed " << seed;
    EXPECT_FALSE(has(r.best_stack, "bad_split")) << "seed " << seed;
    EXPECT_EQ(r.best_stack, (std::vector<std::string>{"prewarm", "sync_elim", "cuda_graph"})) << "seed " << seed;
  }
}

TEST(SearchTest, TierBOnlyWhenAllowed) {
  CostModel model(2);
  SearchOptions o = options(2);
  o.allow_tier_b = true;
  const SearchResult r = greedy_search(candidates(), model.evaluate(), o);
  ASSERT_FALSE(r.best_stack.empty());
  EXPECT_EQ(r.best_stack.front(), "fp8");
  EXPECT_EQ(r.best_stack.size(), 4u);
  EXPECT_FALSE(has(r.best_stack, "multi_gpu"));
}

TEST(SearchTest, EvaluationBudgetStopsTheSearch) {
  CostModel model(3);
  SearchOptions o = options(3);
  o.max_evaluations = 4;  // baseline + tiny_fuse, cuda_graph, bad_split: sync_elim never measured
  const SearchResult r = greedy_search(candidates(), model.evaluate(), o);
  EXPECT_EQ(model.calls, 4);
  EXPECT_EQ(r.stop, StopReason::kEvaluationBudget);
  EXPECT_TRUE(r.best_stack.empty());  // none of the three measured was FASTER
  o.max_evaluations = 5;              // round 1 stops before prewarm: the best measured, sync_elim, is kept
  CostModel again(3);
  const SearchResult s = greedy_search(candidates(), again.evaluate(), o);
  EXPECT_EQ(s.best_stack, (std::vector<std::string>{"sync_elim"}));
}

TEST(SearchTest, TimeBudgetUsesTheClock) {
  CostModel model(4);
  double now = 0.0;
  Evaluate slow = [&](const std::vector<std::string>& s) {
    now += 60.0;  // each evaluation takes a minute
    return model.evaluate()(s);
  };
  SearchOptions o = options(4);
  o.time_budget_s = 200.0;
  o.clock = [&] { return now; };
  const SearchResult r = greedy_search(candidates(), slow, o);
  EXPECT_EQ(r.stop, StopReason::kTimeBudget);
  EXPECT_EQ(r.evaluations.size(), 4u);  // started at 0, 60, 120, 180 s
  o.clock = nullptr;
  EXPECT_THROW(greedy_search(candidates(), slow, o), std::invalid_argument);
}

TEST(SearchTest, InvalidResultsAreNeverKept) {
  CostModel model(5);
  SearchOptions o = options(5);
  o.result_flags = [](const std::vector<std::string>& s) {
    ResultFlags f;
    f.md5_gate_failed = has(s, "prewarm");  // say prewarm broke bit-identity
    return f;
  };
  const SearchResult r = greedy_search(candidates(), model.evaluate(), o);
  EXPECT_EQ(r.best_stack, (std::vector<std::string>{"sync_elim", "cuda_graph"}));
  for (const Evaluation& e : r.evaluations)
    if (e.added == "prewarm") {
      EXPECT_EQ(e.validity.status, Validity::kInvalid);
    }
}

TEST(SearchTest, AFailingStackIsInvalidAndTheSearchGoesOn) {
  CostModel model(7);
  SearchOptions o = options(7);
  Evaluate evaluate = [&](const std::vector<std::string>& s) {
    return has(s, "cuda_graph") ? std::vector<double>{} : model.evaluate()(s);  // say its capture fails
  };
  o.result_flags = [](const std::vector<std::string>& s) {
    ResultFlags f;
    if (has(s, "cuda_graph")) f.failure = "cuda_graph: capturing the forward failed";
    return f;
  };
  const SearchResult r = greedy_search(candidates(), evaluate, o);
  EXPECT_EQ(r.best_stack, (std::vector<std::string>{"prewarm", "sync_elim"}));
  int failed = 0;
  for (const Evaluation& e : r.evaluations)
    if (e.added == "cuda_graph") {
      ++failed;
      EXPECT_EQ(e.validity.status, Validity::kInvalid);
      EXPECT_EQ(e.validity.reasons, (std::vector<std::string>{"failed: cuda_graph: capturing the forward failed"}));
    }
  EXPECT_EQ(failed, 3);  // tried in each of the three rounds, never kept
  EXPECT_EQ(r.stop, StopReason::kNothingHelps);
}

TEST(SearchTest, MeasuredNoiseFloorAndInvalidBaseline) {
  CostModel model(6);
  SearchOptions o = options(6);
  o.thresholds.noise_floor_ms = 0.0;
  o.measure_noise_floor = true;
  const SearchResult r = greedy_search(candidates(), model.evaluate(), o);
  EXPECT_GT(r.noise_floor_ms, 0.0);
  EXPECT_EQ(r.evaluations[0].round, 0);
  EXPECT_EQ(r.evaluations[1].round, 0);  // the A/A repeat
  EXPECT_TRUE(has(r.best_stack, "prewarm"));

  Evaluate three_reps = [](const std::vector<std::string>&) { return std::vector<double>{1000, 1001, 999}; };
  const SearchResult bad = greedy_search(candidates(), three_reps, options(6));
  EXPECT_EQ(bad.stop, StopReason::kBaselineInvalid);
  EXPECT_EQ(bad.chain.size(), 0u);
}

TEST(SearchTest, ChainTableMarkdown) {
  const std::vector<ChainRow> chain{{"baseline", {}, 1000.0, 1.0, 1.0, Verdict::kSame, 1.0},
                                    {"prewarm", {"prewarm"}, 920.0, 1000.0 / 920.0, 1000.0 / 920.0,
                                     Verdict::kFaster, 1e-4}};
  EXPECT_EQ(chain_table_markdown(chain),
            "| stage | ms | vs unoptimized | vs prior | verdict |\n"
            "|---|---:|---:|---:|---|\n"
            "| baseline | 1000.0 | 1.00x | 1.00x | - |\n"
            "| + prewarm | 920.0 | 1.09x | 1.09x | FASTER |\n");
}

TEST(SearchTest, DuplicateNamesThrow) {
  CostModel model(7);
  EXPECT_THROW(greedy_search({{"a"}, {"a"}}, model.evaluate()), std::invalid_argument);
}

}  // namespace search_test
}  // namespace ablate::stats
