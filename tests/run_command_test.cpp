// `ablate run`, `lock` and `check` as a user meets them, on the tiny preset: the files a run
// writes, resume, skipped combinations, bad input (exit 2, nothing written), and the gate
// (pass; a tampered MD5 fails naming the combination and the first divergent step; another
// fingerprint says "rebaseline required" with exit code 3; a corrupted baseline exits 2).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"

namespace ablate {
namespace run_command_test {
namespace fs = std::filesystem;
using testing::read_text;
using testing::run_ablate;
using testing::write_text;

const std::string kTinyFlags = "--preset tiny --size 32*32 --frames 9 --repetitions 2 --warmup 1";

TEST(RunCommandTest, MatrixWritesLedgerAndReportsAndResumes) {
  const std::string out = testing::fresh_dir("run-matrix");
  const auto r = run_ablate("run " + kTinyFlags + " --axis sync_elim=off,on --axis shard=full,grad_op --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // progress lines: k/N with elapsed and ETA (2 runnable combinations x 3 runs)
  EXPECT_NE(r.output.find("[6/6] "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ETA"), std::string::npos);
  const auto records = testing::read_json_lines(out + "/ledger.jsonl");
  ASSERT_EQ(records.size(), 4u);
  int ok = 0, skipped = 0;
  for (const auto& rec : records) {
    if (rec["status"] == "skipped") {
      ++skipped;
      EXPECT_NE(rec["reason"].get<std::string>().find("needs world size > 1"), std::string::npos);
      continue;
    }
    ++ok;
    EXPECT_EQ(rec["samples_ms"].size(), 2u);
    EXPECT_EQ(rec["md5_ok"], true) << rec.dump();  // sync_elim is tier A against this run's baseline
    EXPECT_EQ(rec["dit_forwards"], rec["dit_forwards_expected"]);
    EXPECT_EQ(rec["syncs"]["dit"].get<int64_t>(), rec["combination"] == "baseline" ? (3 * 3 + 1) * 5 : 0);
    EXPECT_TRUE(rec["fingerprint"].contains("cpu_capability"));
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(skipped, 2);
  // the baseline's engine ran first and its first generate() is the cold sample
  EXPECT_EQ(records[0]["combination"] == "baseline" || records[2]["combination"] == "baseline", true);
  for (const char* f : {"report.md", "benchmark.json", "report.html"}) EXPECT_TRUE(fs::exists(out + "/" + f)) << f;
  const std::string md = read_text(out + "/report.md");
  EXPECT_NE(md.find("| sync_elim=on |"), std::string::npos) << md;
  EXPECT_NE(md.find("| sync_elim=on+shard=grad_op | skipped | shard needs world size > 1"), std::string::npos) << md;
  // a second run into the same folder refuses, --resume runs nothing new
  const auto again = run_ablate("run " + kTinyFlags + " --axis sync_elim=off,on --out " + out);
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.output.find("exists; pass --resume to continue it"), std::string::npos) << again.output;
  const auto resumed = run_ablate("run " + kTinyFlags + " --axis sync_elim=off,on --axis text_cache=off,on --resume --out " + out);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  const auto after = testing::read_json_lines(out + "/ledger.jsonl");
  EXPECT_EQ(after.size(), 6u);  // only the two text_cache combinations were new
  EXPECT_EQ(resumed.output.find(" baseline warmup"), std::string::npos) << resumed.output;
}

TEST(RunCommandTest, TimeBudgetLeavesEngineGroupsForResume) {
  const std::string out = testing::fresh_dir("run-budget");
  // prewarm changes the build: two engine groups; a budget spent by the first leaves the second
  const std::string run = "run " + kTinyFlags + " --axis prewarm=off,dit --no-sync-audit --out " + out;
  const auto first = run_ablate(run + " --time-budget-s 0.001");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("time budget of 0.001 s spent: 1 engine group(s) left; rerun with --resume"),
            std::string::npos) << first.output;
  EXPECT_NE(first.output.find("incomplete: 1 engine group(s) not measured (time budget); continue with --resume --out"),
            std::string::npos) << first.output;
  auto records = testing::read_json_lines(out + "/ledger.jsonl");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["combination"], "baseline");  // the baseline's engine goes first
  const auto rest = run_ablate(run + " --resume --time-budget-s 0.001");
  ASSERT_EQ(rest.exit_code, 0) << rest.output;
  EXPECT_EQ(rest.output.find("incomplete"), std::string::npos) << rest.output;
  records = testing::read_json_lines(out + "/ledger.jsonl");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1]["combination"], "prewarm=dit");
  EXPECT_EQ(records[1]["md5"], records[0]["md5"]);
  // the reports written again from the ledger alone are the run's own
  const auto again = run_ablate("report " + out + "/ledger.jsonl --out " + out + "/again");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(read_text(out + "/again/report.md"), read_text(out + "/report.md"));
  EXPECT_TRUE(fs::exists(out + "/again/benchmark.json"));
  EXPECT_TRUE(fs::exists(out + "/again/report.html"));
  const auto missing = run_ablate("report " + out + "/nothing.jsonl --out " + out + "/again2");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("nothing.jsonl: cannot read the ledger"), std::string::npos) << missing.output;
}

// A tier-B combination measured in a later process than its baseline is still judged by its
// distance to the baseline's outputs: the run locks them beside its ledger, the resumed one reads
// them, and where they are missing (left on another machine) it runs the baseline once to lock them.
TEST(RunCommandTest, ResumedTierBCombinationsAreJudgedAgainstTheLockedBaselineOutputs) {
  const std::string out = testing::fresh_dir("run-tier-b-resume");
  // vae_channels_last changes the build (its own engine group, left by the budget for the resumed
  // run) and, at 64x64 on the CPU, the video's bits (tier B: 93.8 dB)
  const std::string run = "run --preset tiny --size 64*64 --frames 9 --repetitions 1 --warmup 0 "
                          "--axis vae_channels_last=off,on --no-sync-audit --out " + out;
  const auto first = run_ablate(run + " --time-budget-s 0.001");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const std::string lock = out + "/ledger-baseline.json";
  ASSERT_TRUE(fs::exists(lock)) << first.output;
  const auto locked = nlohmann::json::parse(read_text(lock));
  const auto records = testing::read_json_lines(out + "/ledger.jsonl");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(locked["entries"][0]["md5"], records[0]["md5"]);
  EXPECT_TRUE(fs::exists(out + "/" + locked["entries"][0]["video_file"].get<std::string>()));
  EXPECT_TRUE(fs::exists(out + "/" + locked["entries"][0]["latents_file"].get<std::string>()));

  const auto judged = [&](const nlohmann::json& rec) {
    EXPECT_EQ(rec["combination"], "vae_channels_last=on");
    EXPECT_EQ(rec["md5_ok"], false) << rec.dump();
    ASSERT_TRUE(rec.contains("psnr_db") && rec.contains("latent_rel_l2") && rec.contains("bound")) << rec.dump();
    EXPECT_EQ(rec["bound"]["within"], true) << rec.dump();
    for (const auto& why : rec["invalid_reasons"]) EXPECT_EQ(why.get<std::string>().find("tier B"), std::string::npos) << why;
  };
  const auto resumed = run_ablate(run + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  auto after = testing::read_json_lines(out + "/ledger.jsonl");
  ASSERT_EQ(after.size(), 2u);
  judged(after[1]);
  const auto first_psnr = after[1]["psnr_db"];

  // the lock stayed on another machine: the resumed run locks the baseline's outputs again
  for (const auto& f : {lock, out + "/" + locked["entries"][0]["video_file"].get<std::string>()}) fs::remove(f);
  write_text(out + "/ledger.jsonl", after[0].dump() + "\n");
  const auto relocked = run_ablate(run + " --resume");
  ASSERT_EQ(relocked.exit_code, 0) << relocked.output;
  EXPECT_NE(relocked.output.find("gives the baseline's MD5s only (no " + lock + "); running the baseline once per "
                                 "request to lock its video and latents"),
            std::string::npos)
      << relocked.output;
  EXPECT_EQ(nlohmann::json::parse(read_text(lock))["entries"][0]["md5"], records[0]["md5"]);
  after = testing::read_json_lines(out + "/ledger.jsonl");
  ASSERT_EQ(after.size(), 2u);
  judged(after[1]);
  EXPECT_EQ(after[1]["psnr_db"], first_psnr);  // the same outputs locked again: the same distance
}

TEST(RunCommandTest, MaxGroupSizeSplitsOneEngineGroupForTheBudget) {
  const std::string out = testing::fresh_dir("run-group-size");
  // four combinations that would share one engine, in parts of two
  const std::string run = "run " + kTinyFlags + " --axis sync_elim=off,on --axis kv_index_copy=off,on "
                          "--no-sync-audit --max-group-size 2 --time-budget-s 0.001 --out " + out;
  const auto first = run_ablate(run);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_NE(first.output.find("engine 1/2 [default] built in"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("for 2 combination(s)"), std::string::npos) << first.output;
  auto records = testing::read_json_lines(out + "/ledger.jsonl");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[0]["combination"] == "baseline" || records[1]["combination"] == "baseline");
  const auto rest = run_ablate(run + " --resume");
  ASSERT_EQ(rest.exit_code, 0) << rest.output;
  records = testing::read_json_lines(out + "/ledger.jsonl");
  ASSERT_EQ(records.size(), 4u);
  for (const auto& r : records) EXPECT_EQ(r["md5"], records[0]["md5"]) << r["combination"];
}

TEST(RunCommandTest, BadInputExitsTwoBeforeAnyWork) {
  const std::string out = testing::fresh_dir("run-bad");
  write_text(out + "/m.json", "{\"mode\": \"full\", \"axes\": {\"sync_elim\": [\"off\", \"on\"]}, \"extra\": 1}");
  auto r = run_ablate("run --matrix " + out + "/m.json --out " + out + "/o1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("m.json: unknown field 'extra'; valid fields:"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out + "/o1/ledger.jsonl"));
  write_text(out + "/broken.json", "{\"mode\": ");
  r = run_ablate("run --matrix " + out + "/broken.json --out " + out + "/o2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("broken.json: not valid JSON"), std::string::npos) << r.output;
  r = run_ablate("run --preset tiny --axis sync_elim=off,sometimes --out " + out + "/o3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("strategy sync_elim has no value 'sometimes'; valid values: off, on"), std::string::npos);
  r = run_ablate("run --preset tiny --axis sync_elim=on --out /proc/ablate-cannot-write");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--out /proc/ablate-cannot-write: cannot create the folder"), std::string::npos) << r.output;
  r = run_ablate("run --preset tiny --frames 80 --axis sync_elim=on --out " + out + "/o4");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("expected 4n+1 frames"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(out + "/o4/ledger.jsonl"));
  r = run_ablate("run --matrix " + out + "/missing.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("missing.json: cannot read the matrix file"), std::string::npos);
}

TEST(RunCommandTest, LockThenCheckGatesBitIdentity) {
  const std::string dir = testing::fresh_dir("gate");
  write_text(dir + "/m.json", R"({"name": "gate", "workload": {"preset": "tiny", "size": "32*32", "frames": 21},
    "mode": "list", "combinations": [{}, {"sync_elim": "on"}, {"timestep_embed_once": "on"}, {"shard": "grad_op"}],
    "warmup": 0, "repetitions": 1})");
  const std::string base = dir + "/base.json";
  auto lock = run_ablate("lock --matrix " + dir + "/m.json --baseline " + base);
  ASSERT_EQ(lock.exit_code, 0) << lock.output;
  auto j = nlohmann::json::parse(read_text(base));
  ASSERT_EQ(j["entries"].size(), 1u);
  EXPECT_EQ(j["entries"][0]["tiers"]["timestep_embed_once=on"], "B");
  EXPECT_EQ(j["entries"][0]["hash_chain"].size(), 2u * 4u);  // 2 chunks x 4 steps

  auto check = run_ablate("check --baseline " + base);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("PASS sync_elim=on (tier A)"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("SKIP shard=grad_op"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("3 passed, 0 failed, 1 skipped"), std::string::npos) << check.output;

  // a change in the numerics: the locked chain from chunk 1 step 2 on and the MD5 no longer match
  auto tampered = j;
  tampered["entries"][0]["md5"] = "00000000000000000000000000000000";
  for (int i = 6; i < 8; ++i) tampered["entries"][0]["hash_chain"][i] = "changed";
  write_text(dir + "/tampered.json", tampered.dump());
  check = run_ablate("check --baseline " + dir + "/tampered.json");
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_NE(check.output.find("FAIL sync_elim=on (tier A): md5"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("first divergent chunk 1, step 2"), std::string::npos) << check.output;

  // another machine: rebaseline required, its own exit code
  auto other = j;
  other["entries"][0]["key"] = "0123456789abcdef";
  other["entries"][0]["fingerprint"]["torch"] = "0.0.1";
  write_text(dir + "/other.json", other.dump());
  check = run_ablate("check --baseline " + dir + "/other.json");
  EXPECT_EQ(check.exit_code, 3) << check.output;
  EXPECT_NE(check.output.find("rebaseline required"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("/torch: \"0.0.1\" -> "), std::string::npos) << check.output;

  // corrupted or foreign files: exit 2 naming the problem
  write_text(dir + "/corrupt.json", read_text(base).substr(0, 100));
  check = run_ablate("check --baseline " + dir + "/corrupt.json");
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.output.find("corrupt.json: corrupted baseline (not valid JSON)"), std::string::npos) << check.output;
  auto foreign = j;
  foreign["schema"] = "someone-else/2";
  write_text(dir + "/foreign.json", foreign.dump());
  check = run_ablate("check --baseline " + dir + "/foreign.json");
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.output.find("foreign.json.schema: expected \"ablate.baseline/1\", found \"someone-else/2\""), std::string::npos);
  // a flipped byte in the locked video is caught by its SHA-256
  const std::string video = dir + "/" + j["entries"][0]["video_file"].get<std::string>();
  std::string bytes = read_text(video);
  bytes[10] ^= 1;
  write_text(video, bytes);
  check = run_ablate("check --baseline " + base);
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.output.find("is corrupted (SHA-256"), std::string::npos) << check.output;
  // and in the locked final latents (the tier-B relative L2)
  bytes[10] ^= 1;
  write_text(video, bytes);
  ASSERT_TRUE(j["entries"][0].contains("latents_file")) << j.dump();
  const std::string latents = dir + "/" + j["entries"][0]["latents_file"].get<std::string>();
  std::string latent_bytes = read_text(latents);
  latent_bytes[3] ^= 1;
  write_text(latents, latent_bytes);
  check = run_ablate("check --baseline " + base);
  EXPECT_EQ(check.exit_code, 2);
  EXPECT_NE(check.output.find("the locked latents file " + latents), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("is corrupted (SHA-256"), std::string::npos) << check.output;
}

}  // namespace run_command_test
}  // namespace ablate
