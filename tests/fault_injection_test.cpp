// Faults during `ablate run` and `ablate generate`, end to end on the CPU: a torn ledger line left
// by a kill is dropped on --resume and the resumed ledger has the uninterrupted MD5s; a file-size
// limit reached mid-run (a full disk) ends the run in one line naming the ledger, keeping the
// finished records; a rank that stalls before a collective is named, with the collective, by the
// rank that timed out waiting for it (the ranks' progress posted to the c10d store).
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "tests/cli_test_util.h"

namespace ablate {
namespace fault_injection_test {
using testing::read_text;
using testing::run_ablate;
using testing::write_text;

const char* kSpec = R"({"name": "faults", "workload": {"preset": "tiny", "size": "32*32", "frames": 9},
  "mode": "list", "combinations": [{}, {"sync_elim": "on"}], "warmup": 0, "repetitions": 1})";

std::string run_flags(const std::string& dir, const std::string& out) {
  return "run --matrix " + dir + "/m.json --out " + dir + "/" + out + " --max-group-size 1";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
    lines.push_back(text.substr(at, nl - at));
  return lines;
}

TEST(FaultInjectionTest, TornLedgerLineIsDroppedOnResume) {
  const std::string dir = testing::fresh_dir("faults-torn");
  write_text(dir + "/m.json", kSpec);
  auto r = run_ablate(run_flags(dir, "out"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string ledger = dir + "/out/ledger.jsonl";
  const std::string whole = read_text(ledger);
  const auto lines = lines_of(whole);
  ASSERT_EQ(lines.size(), 2u);
  write_text(ledger, lines[0] + "\n" + lines[1].substr(0, 100));  // killed while writing record 2
  r = run_ablate(run_flags(dir, "out") + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(ledger + ":2: ignoring a torn last record (100 bytes without a newline"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(ledger + ": dropping a torn last record (100 bytes)"), std::string::npos) << r.output;
  const auto before = testing::read_json_lines(dir + "/out/ledger.jsonl");
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(read_text(ledger).back(), '\n');
  EXPECT_EQ(before[0].dump(), nlohmann::json::parse(lines[0]).dump()) << "the finished record must be kept as is";
  EXPECT_EQ(before[1]["combination"], nlohmann::json::parse(lines[1])["combination"]);
  EXPECT_EQ(before[1]["md5"], nlohmann::json::parse(lines[1])["md5"]);
}

TEST(FaultInjectionTest, FileSizeLimitMidRunKeepsTheFinishedRecords) {
  const std::string dir = testing::fresh_dir("faults-fsize");
  write_text(dir + "/m.json", kSpec);
  auto r = run_ablate(run_flags(dir, "probe"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto probe = lines_of(read_text(dir + "/probe/ledger.jsonl"));
  ASSERT_EQ(probe.size(), 2u);
  // room for the first record and a few hundred bytes more, not for the second (~3 KB)
  const size_t blocks = (probe[0].size() + 300) / 1024 + 1;
  ASSERT_LT(blocks * 1024, probe[0].size() + probe[1].size());
  r = testing::run_shell("ulimit -f " + std::to_string(blocks) + "; " + testing::ablate_binary() + " " +
                         run_flags(dir, "limited"));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  const std::string ledger = dir + "/limited/ledger.jsonl";
  const std::string expected = "ablate: failed: " + ledger +
                               ": writing ledger record 2 failed (File too large; is the disk full?); the 1 "
                               "record(s) before it are intact\n";
  EXPECT_NE(r.output.find(expected), std::string::npos) << r.output;
  const auto kept = lines_of(read_text(ledger));
  ASSERT_EQ(kept.size(), 1u) << read_text(ledger);
  EXPECT_EQ(read_text(ledger).size(), kept[0].size() + 1) << "nothing after the last complete record";
  EXPECT_EQ(nlohmann::json::parse(kept[0])["combination"], nlohmann::json::parse(probe[0])["combination"]);
  EXPECT_EQ(nlohmann::json::parse(kept[0])["md5"], nlohmann::json::parse(probe[0])["md5"]);
  // and --resume (without the limit) completes it
  r = run_ablate(run_flags(dir, "limited") + " --resume");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(testing::read_json_lines(ledger).size(), 2u);
}

TEST(FaultInjectionTest, StalledRankIsNamedWithTheCollective) {
  const auto r = run_ablate(
      "launch --nproc 2 -- generate --preset tiny --size 32*32 --frames 9 --collective-timeout 5 "
      "--debug-stall-rank 1 --debug-stall-at 3");
  EXPECT_NE(r.exit_code, 0) << r.output;
  const std::regex failed(
      "ablate: failed: collective ([a-z_]+) #3 failed on rank 0 after [0-9.]+ s \\(timeout 5\\.0 s\\): [^\\n]*; "
      "rank\\(s\\) 1 did not arrive at \\1 #3; rank 1 last entered [a-z_]+ #2( \\(while [^\\n]*\\))?\\n");
  EXPECT_TRUE(std::regex_search(r.output, failed)) << r.output;
  const std::regex watchdog("ablate: watchdog: rank 0 has made no collective progress for [0-9.]+ s: "
                            "rank\\(s\\) 1 did not arrive at [a-z_]+ #3");
  EXPECT_TRUE(std::regex_search(r.output, watchdog)) << r.output;
  EXPECT_LT(r.seconds, 5 + 20.0) << "the timeout must end the run";
}

}  // namespace fault_injection_test
}  // namespace ablate
