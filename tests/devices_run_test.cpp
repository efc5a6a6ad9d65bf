// `ablate run --devices 0,1` on the CPU (the list stands for two processes): two real processes,
// each owning one engine group and its own ledger and baseline, one joined ledger with the device
// of every record and the whole matrix's MD5s, a progress line covering both devices, and --resume
// finding everything done; with --nproc 2, world-2 combinations on device pairs.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/cli_test_util.h"

namespace ablate {
namespace devices_run_test {
namespace fs = std::filesystem;
using testing::contains;
using testing::run_ablate;

const std::string kMatrix = "run --preset tiny --size 32*32 --frames 9 --repetitions 2 --warmup 1 --no-sync-audit "
                            "--axis prewarm=off,dit --axis sync_elim=off,on";

TEST(DevicesRunTest, TwoProcessesWriteOneLedger) {
  const std::string dir = testing::fresh_dir("devices-run");
  const auto r = run_ablate(kMatrix + " --devices 0,1 --out " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "[device 0] ")) << r.output;
  EXPECT_TRUE(contains(r.output, "[device 1] ")) << r.output;
  // every run of both processes: 4 owned combinations + 1 reference baseline, 3 runs each
  EXPECT_TRUE(contains(r.output, "[all 15/15 ETA 0s] ")) << r.output;
  const auto records = testing::read_json_lines(dir + "/ledger.jsonl");
  ASSERT_EQ(records.size(), 4u);
  std::set<std::string> devices, ids;
  for (const auto& rec : records) {
    devices.insert(rec["device"].get<std::string>());
    ids.insert(rec["combination"].get<std::string>());
    EXPECT_EQ(rec["status"], "ok") << rec.dump();
    EXPECT_EQ(rec["md5"], records[0]["md5"]) << rec["combination"];  // every strategy here is tier A
    EXPECT_FALSE(rec.contains("partition")) << rec.dump();
  }
  EXPECT_EQ(devices, (std::set<std::string>{"0", "1"}));
  EXPECT_EQ(ids, (std::set<std::string>{"baseline", "sync_elim=on", "prewarm=dit", "prewarm=dit+sync_elim=on"}));
  // each device's own ledger and report (its verdicts against its own baseline)
  for (const char* d : {"0", "1"}) {
    const auto own = testing::read_json_lines(dir + "/device-" + d + "/ledger.jsonl");
    EXPECT_TRUE(own.front()["combination"] == "baseline") << d;
    EXPECT_TRUE(fs::exists(dir + "/device-" + d + "/report.md")) << d;
  }
  EXPECT_TRUE(fs::exists(dir + "/report.md"));
  const auto again = run_ablate(kMatrix + " --devices 0,1 --resume --out " + dir);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(testing::read_json_lines(dir + "/ledger.jsonl").size(), 4u);
  testing::expect_usage_error(kMatrix + " --devices 0,0 --out " + dir + "/x", "--devices: device 0 is listed twice");
  testing::expect_usage_error(kMatrix + " --devices 0,1 --partition 1/2 --out " + dir + "/y",
                              "--devices with --partition");
}

// World-2 combinations under --devices: the four "devices" taken two at a time, each pair one
// `launch --nproc 2 -- run` (two Gloo ranks), one joined ledger labelled by device group.
TEST(DevicesRunTest, GroupsOfTwoRanksRunWorldTwoCombinations) {
  const std::string dir = testing::fresh_dir("devices-run-nproc");
  const std::string matrix = "run --preset tiny --size 32*32 --frames 9 --repetitions 1 --warmup 0 --no-sync-audit "
                             "--axis sync_elim=off,on --axis shard=full,grad_op";
  const auto r = run_ablate(matrix + " --devices 0,1,2,3 --nproc 2 --out " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "2 device process(es) of 2 ranks")) << r.output;
  EXPECT_TRUE(contains(r.output, "[device 0+1] [rank 1] ")) << r.output;
  EXPECT_TRUE(contains(r.output, "[device 2+3] [rank 0] ")) << r.output;
  const auto records = testing::read_json_lines(dir + "/ledger.jsonl");
  ASSERT_EQ(records.size(), 4u);
  std::set<std::string> groups;
  for (const auto& rec : records) {
    groups.insert(rec["device"].get<std::string>());
    EXPECT_EQ(rec["status"], "ok") << rec.dump();
    EXPECT_EQ(rec["workload"]["world_size"], 2) << rec.dump();
    EXPECT_EQ(rec["md5"], records[0]["md5"]) << rec["combination"];  // tier A at world 2
  }
  EXPECT_EQ(groups, (std::set<std::string>{"0+1", "2+3"}));
  testing::expect_usage_error(matrix + " --devices 0,1,2 --nproc 2 --out " + dir + "/x",
                              "3 device(s) do not split into groups of --nproc 2");
  testing::expect_usage_error(matrix + " --nproc 2 --out " + dir + "/y", "--nproc 2: only with --devices or --gpus");
}

}  // namespace devices_run_test
}  // namespace ablate
