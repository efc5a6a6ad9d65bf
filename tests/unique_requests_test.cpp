// Unique-request workloads through run, lock and check: every combination runs the same cycle of
// distinct requests in the same order, stability and the gate compare request k with request k,
// a tampered request's MD5 fails naming it, and a rank whose latents differ is a rank error.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "tests/cli_test_util.h"

namespace ablate {
namespace unique_requests_test {
using testing::read_text;
using testing::run_ablate;
using testing::write_text;

const char* kSpec = R"({"name": "unique", "workload": {"preset": "tiny", "size": "32*32", "frames": 9,
  "prompt_mode": "unique", "request_cycle": 3},
  "mode": "list", "combinations": [{}, {"sync_elim": "on"}, {"kv_index_copy": "on", "text_cache": "on"}],
  "warmup": 0, "repetitions": 6})";

bool has_reason(const nlohmann::json& r, const std::string& needle) {
  for (const auto& why : r.value("invalid_reasons", std::vector<std::string>{}))
    if (why.find(needle) != std::string::npos) return true;
  return false;
}

TEST(UniqueRequestsTest, ExactStrategiesKeepEveryRequestsOutput) {
  const std::string dir = testing::fresh_dir("unique-run");
  write_text(dir + "/m.json", kSpec);
  const auto r = run_ablate("run --matrix " + dir + "/m.json --out " + dir + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto records = testing::read_json_lines(dir + "/out/ledger.jsonl");
  ASSERT_EQ(records.size(), 3u);
  const auto md5s = records[0]["request_md5s"].get<std::vector<std::string>>();
  ASSERT_EQ(md5s.size(), 3u);
  EXPECT_EQ(std::set<std::string>(md5s.begin(), md5s.end()).size(), 3u) << "the requests must differ";
  for (const auto& rec : records) {
    EXPECT_EQ(rec["request_md5s"], records[0]["request_md5s"]) << rec["combination"];
    EXPECT_EQ(rec["md5_ok"], true) << rec.dump();
    EXPECT_TRUE(rec["md5_stable"].get<bool>()) << rec["combination"];  // request k the same in both cycles
    EXPECT_FALSE(has_reason(rec, "tier A")) << rec.dump();
    EXPECT_FALSE(has_reason(rec, "rank error")) << rec.dump();
    EXPECT_FALSE(has_reason(rec, "changed between cycles")) << rec.dump();
  }
  // text_cache misses on every request of the cycle the first time round, hits the second
  EXPECT_EQ(records[2]["counters"]["text_cache"]["misses"], 3) << records[2]["counters"].dump();
  EXPECT_EQ(records[2]["counters"]["text_cache"]["hits"], 3);
}

TEST(UniqueRequestsTest, LockAndCheckCompareEveryRequest) {
  const std::string dir = testing::fresh_dir("unique-gate");
  write_text(dir + "/m.json", kSpec);
  const std::string base = dir + "/base.json";
  const auto lock = run_ablate("lock --matrix " + dir + "/m.json --baseline " + base);
  ASSERT_EQ(lock.exit_code, 0) << lock.output;
  EXPECT_NE(lock.output.find("3 request(s)"), std::string::npos) << lock.output;
  auto j = nlohmann::json::parse(read_text(base));
  ASSERT_EQ(j["entries"][0]["request_md5s"].size(), 3u);
  ASSERT_EQ(j["entries"][0]["request_chains"].size(), 3u);
  auto check = run_ablate("check --baseline " + base);
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_NE(check.output.find("ablate check: 3 passed, 0 failed"), std::string::npos) << check.output;
  j["entries"][0]["request_md5s"][2] = "0123456789abcdef0123456789abcdef";
  j["entries"][0]["request_chains"][2][2] = "changed";
  write_text(dir + "/tampered.json", j.dump());
  check = run_ablate("check --baseline " + dir + "/tampered.json");
  EXPECT_EQ(check.exit_code, 1) << check.output;
  EXPECT_NE(check.output.find("FAIL sync_elim=on (tier A): md5"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("request 2 differs; first divergent chunk 0, step 2"), std::string::npos) << check.output;
  EXPECT_NE(check.output.find("tier A: output differs from the reference (request 2)"), std::string::npos);
}

TEST(UniqueRequestsTest, ARankThatDivergesIsARankError) {
  const std::string dir = testing::fresh_dir("unique-ranks");
  write_text(dir + "/m.json", R"({"name": "ranks", "workload": {"preset": "tiny", "size": "32*32", "frames": 9},
    "mode": "list", "combinations": [{}], "warmup": 0, "repetitions": 1})");
  auto r = run_ablate("launch --nproc 2 -- run --matrix " + dir + "/m.json --out " + dir + "/agree");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto rec = testing::read_json_lines(dir + "/agree/ledger.jsonl").front();
  ASSERT_EQ(rec["rank_latent_md5s"].size(), 2u);
  EXPECT_EQ(rec["rank_latent_md5s"][0], rec["rank_latent_md5s"][1]);
  EXPECT_FALSE(has_reason(rec, "rank error")) << rec.dump();
  r = run_ablate("launch --nproc 2 -- run --matrix " + dir + "/m.json --out " + dir + "/diverge --debug-perturb-rank 1");
  EXPECT_EQ(r.exit_code, 1) << r.output;  // the gate failed
  rec = testing::read_json_lines(dir + "/diverge/ledger.jsonl").front();
  EXPECT_NE(rec["rank_latent_md5s"][0], rec["rank_latent_md5s"][1]);
  EXPECT_TRUE(has_reason(rec, "rank error: the ranks' final latents differ")) << rec.dump();
  EXPECT_EQ(rec["validity"], "INVALID");
}

}  // namespace unique_requests_test
}  // namespace ablate
