// The autoresearch commands on synthetic ledgers (exact expectations) and one small real search:
// compare's verdicts and noise floor, the factorial analysis recovering injected effects, the
// journal's numbering and content, and the generated strategy table in EXPERIMENTS.md.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "experiments/research/journal.h"
#include "optimizations/registry.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace research_commands_test {
using testing::read_text;
using testing::run_ablate;
using testing::write_text;

nlohmann::json record(const std::string& id, std::vector<double> samples, const nlohmann::json& strategies = {},
                      const std::string& md5 = "m") {
  return {{"schema", kLedgerSchema}, {"combination", id}, {"stage", id}, {"status", "ok"}, {"samples_ms", samples},
          {"strategies", strategies.is_null() ? nlohmann::json::object() : strategies}, {"md5", md5},
          {"validity", "VALID"}, {"tier", "A"}, {"command", "ablate run --matrix m.json"}, {"fingerprint_key", "abcd"},
          {"fingerprint", {{"world_size", 1}, {"dtype", "fp32"}, {"torch", "1.13"}}},
          {"stats", {{"median", samples[samples.size() / 2]}, {"min", samples.front()}, {"max", samples.back()}, {"cv", 0.01}}},
          {"syncs", {{"dit", 0}, {"total", 0}}}};
}

void write_ledger(const std::string& path, const std::vector<nlohmann::json>& records) {
  std::string text;
  for (const auto& r : records) text += r.dump() + "\n";
  write_text(path, text);
}

std::vector<double> around(double center, int n = 9) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back(center + 0.1 * (i - n / 2));
  return v;
}

TEST(ResearchCommandsTest, CompareGivesVerdictsPerCombination) {
  const std::string dir = testing::fresh_dir("compare");
  write_ledger(dir + "/a.jsonl", {record("baseline", around(1000)), record("sync_elim=on", around(1000)),
                                  record("text_cache=on", around(900))});
  write_ledger(dir + "/b.jsonl", {record("baseline", around(1000)), record("sync_elim=on", around(800)),
                                  record("kv_index_copy=on", around(990))});
  auto r = run_ablate("compare " + dir + "/a.jsonl " + dir + "/b.jsonl --json " + dir + "/c.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("| sync_elim=on | 1000.0 | 800.0 | -200.0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| FASTER |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Only in A: [\"text_cache=on\"]"), std::string::npos) << r.output;
  const auto j = nlohmann::json::parse(read_text(dir + "/c.json"));
  ASSERT_EQ(j["rows"].size(), 2u);
  EXPECT_EQ(j["rows"][0]["combination"], "baseline");
  EXPECT_EQ(j["rows"][0]["verdict"], "SAME");
  EXPECT_EQ(j["rows"][1]["verdict"], "FASTER");
  // an A/A ledger whose copies differ by 300 ms raises the noise floor above the 200 ms change
  write_ledger(dir + "/aa.jsonl", {record("baseline", around(1000)), record("baseline#2", around(1300))});
  r = run_ablate("compare " + dir + "/a.jsonl " + dir + "/b.jsonl --aa " + dir + "/aa.jsonl --json " + dir + "/c2.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j2 = nlohmann::json::parse(read_text(dir + "/c2.json"));
  EXPECT_GT(j2["thresholds"]["noise_floor_ms"].get<double>(), 300.0);
  EXPECT_NE(j2["rows"][1]["verdict"], "FASTER");
  r = run_ablate("compare " + dir + "/a.jsonl " + dir + "/missing.jsonl");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("missing.jsonl: cannot read the ledger"), std::string::npos);
}

TEST(ResearchCommandsTest, AnalyzeRecoversInjectedEffectsAndInteraction) {
  // ms = 1000 - 100 [sync_elim] - 30 [text_cache] + 0 [kv_index_copy] - 50 [sync_elim AND text_cache]
  const nlohmann::json spec{{"axes", {{"sync_elim", {"off", "on"}}, {"text_cache", {"off", "on"}},
                                      {"kv_index_copy", {"off", "on"}}}}};
  std::vector<nlohmann::json> records;
  for (int m = 0; m < 8; ++m) {
    const bool a = m & 1, b = m & 2, c = m & 4;
    nlohmann::json s = nlohmann::json::object();
    if (a) s["sync_elim"] = "on";
    if (b) s["text_cache"] = "on";
    if (c) s["kv_index_copy"] = "on";
    auto r = record("c" + std::to_string(m), around(1000 - 100 * a - 30 * b - 50 * (a && b)), s);
    r["spec"] = spec;
    records.push_back(r);
  }
  const std::string dir = testing::fresh_dir("analyze");
  write_ledger(dir + "/f.jsonl", records);
  const auto r = run_ablate("analyze " + dir + "/f.jsonl");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // main effect of sync_elim: mean(on) - mean(off) = -100 - 50/2 = -125; interaction: -50/2 = -25 x 2 / 2
  EXPECT_NE(r.output.find("| sync_elim | -125.0 |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| text_cache | -55.0 |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| kv_index_copy | 0.0 |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| sync_elim:text_cache | -25.0 |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| kv_index_copy:sync_elim | 0.0 |"), std::string::npos) << r.output;  // names sorted
}

TEST(ResearchCommandsTest, JournalEntriesAreNumberedAndCarryTheRun) {
  const std::string dir = testing::fresh_dir("journal");
  write_text(dir + "/J.md", "# journal\n\n## Journal\n\n### E4: earlier\n\ntext\n");
  EXPECT_EQ(next_experiment_number(read_text(dir + "/J.md")), 5);
  // a last heading without a newline counts (appending adds one; found by fuzzing); 10 digits are refused
  EXPECT_EQ(next_experiment_number("## Journal\n\n### E2: a\n\n### E7"), 8);
  EXPECT_EQ(next_experiment_number("## Journal\n\n### E7x\n"), 1);
  EXPECT_EQ(testing::usage_error_of([] { next_experiment_number("\n### E12345678901: big\n"); }),
            "journal: experiment heading E12345678901: expected a number of at most 9 digits");
  EXPECT_EQ(testing::usage_error_of([] { next_experiment_number("\n### E999999999: last\n"); }),
            "journal: experiment heading E999999999 is the last number a journal takes (9 digits); start a new journal");
  write_ledger(dir + "/l.jsonl", {record("baseline", around(1000)), record("sync_elim=on", around(900))});
  auto r = run_ablate("experiment --ledger " + dir + "/l.jsonl --journal " + dir +
                      "/J.md --title 'sync elimination' --hypothesis 'fewer syncs, faster' --decision keep");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = run_ablate("experiment --ledger " + dir + "/l.jsonl --journal " + dir +
                 "/J.md --title again --hypothesis h --decision discard");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string j = read_text(dir + "/J.md");
  EXPECT_NE(j.find("### E5: sync elimination"), std::string::npos) << j;
  EXPECT_NE(j.find("### E6: again"), std::string::npos) << j;
  EXPECT_NE(j.find("- **Command**: `ablate run --matrix m.json`"), std::string::npos) << j;
  EXPECT_NE(j.find("- **Fingerprint**: `abcd`"), std::string::npos) << j;
  EXPECT_NE(j.find("| sync_elim=on | 900.0 |"), std::string::npos) << j;
  EXPECT_NE(j.find("sync_elim=on FASTER;"), std::string::npos) << j;
  EXPECT_NE(j.find("- **Decision**: keep"), std::string::npos) << j;
  // a ledger resumed over two calls names both commands
  auto resumed = record("text_cache=on", around(950));
  resumed["command"] = "ablate run --matrix m.json --resume";
  auto first = record("baseline", around(1000));
  first["environment"] = {{"git", {{"commit", "aaaa111"}, {"dirty", false}}}};
  resumed["environment"] = {{"git", {{"commit", "bbbb222"}, {"dirty", false}}}};
  write_ledger(dir + "/l2.jsonl", {first, resumed});
  r = run_ablate("experiment --ledger " + dir + "/l2.jsonl --journal " + dir + "/J.md --title two --hypothesis h --decision keep");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(read_text(dir + "/J.md").find("- **Commands** (one ledger, 2 calls, in order): `ablate run --matrix m.json`; "
                                          "`ablate run --matrix m.json --resume`"),
            std::string::npos);
  EXPECT_NE(read_text(dir + "/J.md").find("commits aaaa111, bbbb222)"), std::string::npos);  // and both commits
  r = run_ablate("experiment --ledger " + dir + "/l.jsonl --journal " + dir + "/J.md --title t --hypothesis h --decision maybe");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("valid decisions: keep, discard, invalid, crash"), std::string::npos) << r.output;
}

TEST(ResearchCommandsTest, ExperimentsMdCarriesTheRegistryTable) {
  const std::string text = read_text(std::string(ABLATE_SOURCE_DIR) + "/EXPERIMENTS.md");
  EXPECT_EQ(replace_strategy_table(text, opt::strategy_table_markdown()), text)
      << "EXPERIMENTS.md's strategy table is stale: run `build/experiments/ablate list --update EXPERIMENTS.md`";
}

TEST(ResearchCommandsTest, SearchOnTinyKeepsOnlyTierAAndWritesItsTable) {
  const std::string dir = testing::fresh_dir("search");
  write_text(dir + "/m.json", R"({"name": "search-tiny", "workload": {"preset": "tiny", "size": "32*32", "frames": 9},
    "mode": "list", "combinations": [{}], "warmup": 1, "repetitions": 5})");
  // a journal that cannot take the entry is refused before anything runs
  const auto r = run_ablate("search --matrix " + dir + "/m.json --candidate sync_elim=on --out " + dir +
                            "/out --journal " + dir + "/missing.md");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("missing.md: cannot read the journal"), std::string::npos) << r.output;
  EXPECT_FALSE(std::ifstream(dir + "/out/ledger.jsonl").good());
  write_text(dir + "/J.md", "# j\n\n## Journal\n");
  const auto ok = run_ablate("search --matrix " + dir + "/m.json --candidate sync_elim=on --candidate shard=grad_op "
                             "--candidate timestep_embed_once=on --candidate cuda_graph=on --max-cv 1 --out " + dir +
                             "/out2 --journal " + dir + "/J.md");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  const std::string md = read_text(dir + "/out2/search.md");
  EXPECT_NE(md.find("| stage | ms | vs unoptimized | vs prior |"), std::string::npos) << md;
  EXPECT_NE(md.find("timestep_embed_once=on (round 1: tier B not allowed)"), std::string::npos) << md;
  EXPECT_NE(md.find("shard=grad_op (round 1: shard needs world size > 1"), std::string::npos) << md;
  // a candidate that requires another candidate is also offered bundled with it
  EXPECT_NE(md.find("cuda_graph=on (round 1: cuda_graph needs a CUDA device)"), std::string::npos) << md;
  EXPECT_NE(md.find("sync_elim=on,cuda_graph=on (round 1: cuda_graph needs a CUDA device)"), std::string::npos) << md;
  EXPECT_EQ(testing::read_json_lines(dir + "/out2/ledger.jsonl").size(), 2u);  // the baseline and sync_elim=on
  EXPECT_NE(read_text(dir + "/J.md").find("### E1: search at tiny on cpu"), std::string::npos);
}

TEST(ResearchCommandsTest, SearchAtTwoRanksMeasuresEveryStackOnBothRanks) {
  const std::string dir = testing::fresh_dir("search-w2");
  write_text(dir + "/m.json", R"({"name": "search-tiny", "workload": {"preset": "tiny", "size": "32*32", "frames": 9},
    "mode": "list", "combinations": [{}], "warmup": 0, "repetitions": 5})");
  // rank 0 decides each stack and writes every output; rank 1 runs the same matrices with it
  const auto r = run_ablate("launch --nproc 2 -- search --matrix " + dir + "/m.json --candidate sync_elim=on "
                            "--candidate shard=grad_op --max-evaluations 3 --max-cv 1 --out " + dir + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto records = testing::read_json_lines(dir + "/out/ledger.jsonl");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["combination"], "baseline");
  for (const auto& rec : records) {
    EXPECT_EQ(rec["status"], "ok") << rec.dump();
    EXPECT_EQ(rec["fingerprint"]["world_size"], 2) << rec.dump();
  }
  const std::string md = read_text(dir + "/out/search.md");
  EXPECT_NE(md.find("3 measurements"), std::string::npos) << md;
  EXPECT_EQ(md.find("needs world size > 1"), std::string::npos) << md;  // shard is valid at two ranks
  EXPECT_EQ(r.output.find("[rank 1] | stage |"), std::string::npos) << r.output;  // only rank 0 reports
}

TEST(ResearchCommandsTest, SearchResumesFromItsLedgerWithoutMeasuringAgain) {
  const std::string dir = testing::fresh_dir("search-resume");
  write_text(dir + "/m.json", R"({"name": "search-tiny", "workload": {"preset": "tiny", "size": "32*32", "frames": 9},
    "mode": "list", "combinations": [{}], "warmup": 0, "repetitions": 5})");
  const std::string search = "search --matrix " + dir + "/m.json --candidate sync_elim=on --candidate kv_index_copy=on "
                             "--max-cv 1 --out " + dir + "/out";
  // a budget of one measurement: only the baseline
  const auto first = run_ablate(search + " --max-evaluations 1");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(testing::read_json_lines(dir + "/out/ledger.jsonl").size(), 1u);
  const auto again = run_ablate(search + " --max-evaluations 3");
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_NE(again.output.find("exists; choose another --out, or pass --resume"), std::string::npos) << again.output;
  const auto other_reps = run_ablate(search + " --resume --repetitions 6");
  EXPECT_EQ(other_reps.exit_code, 2) << other_reps.output;
  EXPECT_NE(other_reps.output.find("field repetitions is 5 but this search measures 6"), std::string::npos)
      << other_reps.output;
  // resumed with a larger budget: the baseline is reused, the two candidates are measured
  const auto resumed = run_ablate(search + " --resume --max-evaluations 3");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("search: [baseline] reused from"), std::string::npos) << resumed.output;
  const auto records = testing::read_json_lines(dir + "/out/ledger.jsonl");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["combination"], "baseline");
  EXPECT_NE(records[1]["combination"], "baseline");
  EXPECT_NE(records[2]["combination"], "baseline");
  for (size_t i = 1; i < 3; ++i)  // every stack is gated against the ledger's baseline MD5
    EXPECT_EQ(records[i].value("md5_ok", false), true) << records[i].dump();
  EXPECT_NE(read_text(dir + "/out/search.md").find("3 measurements"), std::string::npos);
  // everything measured already: a rerun adds nothing to the ledger
  const auto replay = run_ablate(search + " --resume --max-evaluations 3");
  ASSERT_EQ(replay.exit_code, 0) << replay.output;
  EXPECT_EQ(testing::read_json_lines(dir + "/out/ledger.jsonl").size(), 3u);
}

// Tier-B stacks change the output, so the search judges them by their distance to the baseline's
// video and latents, which it locks beside its ledger: when it measures the baseline, or, resuming
// a ledger that holds only the baseline's MD5s, by running the baseline once more.
TEST(ResearchCommandsTest, SearchJudgesTierBStacksByTheirDistanceToTheBaseline) {
  const std::string dir = testing::fresh_dir("search-tier-b");
  // vae_channels_last changes the video's bits at 64x64 on the CPU (tier B, 93.8 dB)
  write_text(dir + "/m.json", R"({"name": "search-tiny", "workload": {"preset": "tiny", "size": "64*64", "frames": 9},
    "mode": "list", "combinations": [{}], "warmup": 0, "repetitions": 5})");
  const std::string search = "search --matrix " + dir + "/m.json --candidate vae_channels_last=on --allow-tier-b "
                             "--max-cv 1 --out " + dir + "/out";
  const auto first = run_ablate(search + " --max-evaluations 1");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto locked = nlohmann::json::parse(read_text(dir + "/out/ledger-baseline.json"));
  ASSERT_EQ(locked["entries"].size(), 1u);
  EXPECT_EQ(locked["entries"][0]["md5"], testing::read_json_lines(dir + "/out/ledger.jsonl")[0]["md5"]);
  EXPECT_EQ(locked["entries"][0]["latents_shape"], nlohmann::json({16, 3, 8, 8}));

  const auto resumed = run_ablate(search + " --resume --max-evaluations 2");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  auto records = testing::read_json_lines(dir + "/out/ledger.jsonl");
  ASSERT_EQ(records.size(), 2u);
  const auto& tier_b = records[1];
  EXPECT_EQ(tier_b["combination"], "vae_channels_last=on");
  EXPECT_EQ(tier_b["md5_ok"], false) << tier_b.dump();
  ASSERT_TRUE(tier_b.contains("psnr_db") && tier_b.contains("latent_rel_l2") && tier_b.contains("bound")) << tier_b.dump();
  EXPECT_GT(tier_b["psnr_db"].get<double>(), 35.0);
  EXPECT_GT(tier_b["latent_rel_l2"].get<double>(), 0.0);
  EXPECT_LE(tier_b["latent_rel_l2"].get<double>(), 0.02);
  EXPECT_EQ(tier_b["bound"]["within"], true);
  // the gate passes it (the record may still be INVALID for timing reasons: few samples, CV)
  for (const auto& why : tier_b["invalid_reasons"]) EXPECT_EQ(why.get<std::string>().find("tier B"), std::string::npos) << why;
  const std::string md = read_text(dir + "/out/search.md");
  EXPECT_EQ(md.find("no distance"), std::string::npos) << md;
  EXPECT_NE(md.find("Speed/quality Pareto front"), std::string::npos) << md;

  // a ledger of a search before the fix: no locked outputs, and the tier-B record judged without a
  // distance. The baseline runs once more to lock them; the tier-B stack is measured again.
  std::filesystem::remove(dir + "/out/ledger-baseline.json");
  auto unjudged = tier_b;
  for (const char* field : {"psnr_db", "max_abs_u8", "min_frame_psnr_db", "latent_rel_l2", "bound"}) unjudged.erase(field);
  write_text(dir + "/out/ledger.jsonl", records[0].dump() + "\n" + unjudged.dump() + "\n");
  const auto relocked = run_ablate(search + " --resume --max-evaluations 2");
  ASSERT_EQ(relocked.exit_code, 0) << relocked.output;
  EXPECT_NE(relocked.output.find("holds the baseline's MD5s only (no " + dir + "/out/ledger-baseline.json); running it "
                                 "once per request"),
            std::string::npos)
      << relocked.output;
  EXPECT_NE(relocked.output.find("[vae_channels_last=on] in " + dir + "/out/ledger.jsonl was judged without the "
                                 "baseline's outputs"),
            std::string::npos)
      << relocked.output;
  EXPECT_EQ(nlohmann::json::parse(read_text(dir + "/out/ledger-baseline.json"))["entries"][0]["md5"],
            locked["entries"][0]["md5"]);
  records = testing::read_json_lines(dir + "/out/ledger.jsonl");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2]["combination"], "vae_channels_last=on");
  EXPECT_EQ(records[2]["bound"]["within"], true) << records[2].dump();
}

// --halving budgets by time between its greedy steps and resumes from its ledger: a resumed search
// asks for the same measurements in the same order, so replaying a finished one measures nothing.
TEST(ResearchCommandsTest, SearchByHalvingStopsOnItsTimeBudgetAndResumes) {
  const std::string dir = testing::fresh_dir("search-halving");
  write_text(dir + "/m.json", R"({"name": "search-tiny", "workload": {"preset": "tiny", "size": "32*32", "frames": 9},
    "mode": "list", "combinations": [{}], "warmup": 0, "repetitions": 5})");
  const std::string search = "search --matrix " + dir + "/m.json --halving --candidate sync_elim=on "
                             "--candidate kv_index_copy=on --max-cv 1 --out " + dir + "/out";
  const auto counted = run_ablate(search + " --max-evaluations 3");
  EXPECT_EQ(counted.exit_code, 2) << counted.output;
  EXPECT_NE(counted.output.find("--max-evaluations 3 with --halving"), std::string::npos) << counted.output;

  const auto first = run_ablate(search + " --time-budget-s 0.001");  // the baseline, then no step
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(testing::read_json_lines(dir + "/out/ledger.jsonl").size(), 1u);
  EXPECT_NE(read_text(dir + "/out/search.md").find("stopped: time budget"), std::string::npos)
      << read_text(dir + "/out/search.md");

  const auto resumed = run_ablate(search + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("search: [baseline] reused from"), std::string::npos) << resumed.output;
  const auto records = testing::read_json_lines(dir + "/out/ledger.jsonl");
  ASSERT_GE(records.size(), 3u);  // the baseline, then both candidates at the first look at least
  const std::string md = read_text(dir + "/out/search.md");
  EXPECT_EQ(md.find("stopped: time budget"), std::string::npos) << md;

  const auto replay = run_ablate(search + " --resume");
  ASSERT_EQ(replay.exit_code, 0) << replay.output;
  EXPECT_EQ(testing::read_json_lines(dir + "/out/ledger.jsonl").size(), records.size()) << replay.output;
  EXPECT_EQ(read_text(dir + "/out/search.md"), md);
}

}  // namespace research_commands_test
}  // namespace ablate
