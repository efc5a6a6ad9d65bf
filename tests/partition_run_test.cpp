// `ablate run --partition` and `ablate merge` as a cluster user meets them: a tiny matrix of two
// engine groups split over two jobs (their indices from a Kubernetes indexed job's and a Slurm
// array's variables), merged, gives the whole run's combinations, sample counts and MD5s; mixed
// fingerprints are refused (exit 2 naming both) unless --allow-mixed.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"

namespace ablate {
namespace partition_run_test {
namespace fs = std::filesystem;
using testing::contains;
using testing::run_ablate;
using testing::run_shell;

// prewarm builds its own engine: two engine groups of two combinations
const std::string kMatrix = "run --preset tiny --size 32*32 --frames 9 --repetitions 2 --warmup 1 --no-sync-audit "
                            "--axis prewarm=off,dit --axis sync_elim=off,on";

struct Row {
  std::string status, md5;
  size_t samples = 0;
  bool operator==(const Row& o) const { return status == o.status && md5 == o.md5 && samples == o.samples; }
};

std::map<std::string, Row> rows(const std::vector<nlohmann::json>& records) {
  std::map<std::string, Row> out;
  for (const auto& r : records) {
    EXPECT_FALSE(out.count(r["combination"])) << "twice: " << r["combination"];
    out[r["combination"]] = Row{r["status"], r.value("md5", ""), r.value("samples_ms", nlohmann::json::array()).size()};
  }
  return out;
}

TEST(PartitionRunTest, TwoJobsMergedEqualTheWholeRun) {
  const std::string dir = testing::fresh_dir("partition-run");
  const auto whole = run_ablate(kMatrix + " --out " + dir + "/whole");
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  // job 1 as a Kubernetes indexed job's pod, job 2 as a Slurm array task (--array=3-4)
  const auto job1 = run_shell("JOB_COMPLETION_INDEX=0 ABLATE_PARTITION_COUNT=2 " + testing::ablate_binary() + " " +
                              kMatrix + " --partition auto --out " + dir + "/job1");
  ASSERT_EQ(job1.exit_code, 0) << job1.output;
  EXPECT_TRUE(contains(job1.output, "job 1/2")) << job1.output;
  const auto job2 = run_shell("SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=3 SLURM_ARRAY_TASK_COUNT=2 " +
                              testing::ablate_binary() + " " + kMatrix + " --partition auto --out " + dir + "/job2");
  ASSERT_EQ(job2.exit_code, 0) << job2.output;
  const auto l1 = testing::read_json_lines(dir + "/job1/ledger.jsonl");
  const auto l2 = testing::read_json_lines(dir + "/job2/ledger.jsonl");
  // each job owns one engine group; the one without the baseline's measures the baseline as its reference
  ASSERT_EQ(l1.size() + l2.size(), 5u);
  int references = 0;
  for (const auto* l : {&l1, &l2})
    for (const auto& r : *l) {
      EXPECT_EQ(r["partition"], l == &l1 ? "1/2" : "2/2");
      references += r.value("partition_reference", false) ? 1 : 0;
    }
  EXPECT_EQ(references, 1);
  // a resumed job finds its share done
  const auto again = run_shell("JOB_COMPLETION_INDEX=0 " + testing::ablate_binary() + " " + kMatrix +
                               " --partition auto/2 --resume --out " + dir + "/job1");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(testing::read_json_lines(dir + "/job1/ledger.jsonl").size(), l1.size());

  const auto merged = run_ablate("merge " + dir + "/merged " + dir + "/job1 " + dir + "/job2/ledger.jsonl");
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_TRUE(contains(merged.output, "merged 2 ledger(s): 4 record(s), 1 fingerprint(s); dropped 1 partition reference(s)"))
      << merged.output;
  const auto all = rows(testing::read_json_lines(dir + "/merged/ledger.jsonl"));
  const auto expected = rows(testing::read_json_lines(dir + "/whole/ledger.jsonl"));
  ASSERT_EQ(all.size(), 4u);
  for (const auto& [id, row] : expected) {
    ASSERT_TRUE(all.count(id)) << id;
    EXPECT_TRUE(all.at(id) == row) << id << ": " << all.at(id).md5 << " vs " << row.md5;
    EXPECT_EQ(row.samples, 2u) << id;
  }
  EXPECT_TRUE(fs::exists(dir + "/merged/report.md"));
  EXPECT_TRUE(fs::exists(dir + "/merged/benchmark.json"));

  // another fingerprint: refused, naming both; kept apart with --allow-mixed
  std::string other = testing::read_text(dir + "/job2/ledger.jsonl");
  const std::string key = l2.front()["fingerprint_key"];
  for (size_t at = other.find(key); at != std::string::npos; at = other.find(key, at)) other.replace(at, key.size(), "0ther0");
  testing::write_text(dir + "/other.jsonl", other);
  const auto mixed = run_ablate("merge " + dir + "/mixed " + dir + "/job1 " + dir + "/other.jsonl");
  EXPECT_EQ(mixed.exit_code, 2) << mixed.output;
  EXPECT_TRUE(contains(mixed.output, "other.jsonl has fingerprint [0ther0] but " + dir + "/job1/ledger.jsonl has [" + key + "]"))
      << mixed.output;
  EXPECT_FALSE(fs::exists(dir + "/mixed/ledger.jsonl"));
  const auto allowed = run_ablate("merge --allow-mixed " + dir + "/mixed " + dir + "/job1 " + dir + "/other.jsonl");
  ASSERT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_TRUE(fs::exists(dir + "/mixed/fingerprint-" + key + "/report.md"));
  EXPECT_TRUE(fs::exists(dir + "/mixed/fingerprint-0ther0/report.md"));
  // the reference baseline is dropped: each fingerprint holds its job's two combinations
  EXPECT_EQ(testing::read_json_lines(dir + "/mixed/ledger.jsonl").size(), 4u);
}

}  // namespace partition_run_test
}  // namespace ablate
