// `ablate run --adaptive` on the tiny preset: every record names the rule and where it stopped; the
// baseline runs to the maximum, the others stop on a look of the schedule with that many samples;
// the matrix field "adaptive" is checked before any work; `ablate simulate-adaptive` replays the
// run's own ledger.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"

namespace ablate {
namespace adaptive_run_test {
using testing::contains;
using testing::run_ablate;

TEST(AdaptiveRunTest, StopsOnTheLooksAndRecordsTheRule) {
  const std::string dir = testing::fresh_dir("adaptive-run");
  testing::write_text(dir + "/m.json", R"({"name": "adaptive-tiny", "mode": "full",
    "workload": {"preset": "tiny", "size": "32*32", "frames": 9, "device": "cpu"},
    "axes": {"sync_elim": ["off", "on"], "text_cache": ["off", "on"]},
    "warmup": 1, "repetitions": 7, "order_seed": 3,
    "adaptive": {"min_repetitions": 3, "look_step": 2}})");
  const auto r = run_ablate("run --matrix " + dir + "/m.json --no-sync-audit --out " + dir + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "at most 7 repetitions per combination (adaptive: group-sequential: looks at 3,5,7 reps"))
      << r.output;
  const auto records = testing::read_json_lines(dir + "/out/ledger.jsonl");
  ASSERT_EQ(records.size(), 4u);
  for (const auto& rec : records) {
    ASSERT_TRUE(rec.contains("adaptive")) << rec.dump();
    const auto& a = rec["adaptive"];
    EXPECT_TRUE(contains(a["rule"].get<std::string>(), "looks at 3,5,7 reps")) << a.dump();
    EXPECT_EQ(a["max_repetitions"], 7);
    EXPECT_EQ(a["stopped_at"], rec["samples_ms"].size()) << a.dump();
    if (rec["combination"] == "baseline") {
      EXPECT_EQ(a["verdict"], "reference");
      EXPECT_EQ(a["stopped_at"], 7);
      continue;
    }
    const int at = a["stopped_at"];
    EXPECT_TRUE(at == 3 || at == 5 || at == 7) << a.dump();
    EXPECT_EQ(a["looks"], 3);
    EXPECT_EQ(a["look"], (at - 1) / 2) << a.dump();
    const std::string v = a["verdict"];
    EXPECT_TRUE(v == "FASTER" || v == "SLOWER" || v == "SAME" || v == "AMBIGUOUS") << v;
    if (at < 7) {
      EXPECT_NE(v, "AMBIGUOUS");  // only the last look leaves a verdict undecided
    }
  }
  const auto sim = run_ablate("simulate-adaptive " + dir + "/out/ledger.jsonl --trials 3 --repetitions 10 --out " + dir +
                              "/sim.md");
  ASSERT_EQ(sim.exit_code, 0) << sim.output;
  EXPECT_TRUE(contains(testing::read_text(dir + "/sim.md"), "| baseline (A/A) |"));

  // a bad field is named before any work
  testing::write_text(dir + "/bad.json", R"({"mode": "full", "axes": {"sync_elim": ["off", "on"]},
    "repetitions": 4, "adaptive": {"min_repetitions": 9}})");
  testing::expect_usage_error("run --matrix " + dir + "/bad.json --out " + dir + "/bad",
                              "adaptive.min_repetitions: expected 1..4 (the repetitions), found 9");
}

}  // namespace adaptive_run_test
}  // namespace ablate
