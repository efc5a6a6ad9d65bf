// The memory preflight through the CLI: a workload that cannot fit (ABLATE_FAKE_AVAILABLE_BYTES)
// exits 2 with the estimate and the memory available before any work, --no-preflight runs it; the
// strategies' build options reach the estimate; `ablate memory` prints a breakdown and the table.
#include "experiments/runner/memory_preflight.h"

#include <gtest/gtest.h>

#include <vector>

#include <filesystem>

#include "cli_test_util.h"

namespace ablate {
namespace memory_preflight_test {

using testing::contains;
using testing::run_ablate;
using testing::run_shell;

const std::string kFake = "ABLATE_FAKE_AVAILABLE_BYTES=1000 ";
const std::string kTiny = " --preset tiny --frames 9 --size 32*32";

TEST(MemoryPreflightTest, GenerateRefusesWhenTheEstimateDoesNotFit) {
  const auto r = run_shell(kFake + testing::ablate_binary() + " generate" + kTiny);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "ablate: error: memory preflight: preset tiny at world 1 (rank 0) needs about "))
      << r.output;
  EXPECT_TRUE(contains(r.output, "of host memory at its peak")) << r.output;
  EXPECT_TRUE(contains(r.output, "but 0.0 MiB is available (ABLATE_FAKE_AVAILABLE_BYTES)")) << r.output;
  EXPECT_TRUE(contains(r.output, "--no-preflight")) << r.output;
  EXPECT_FALSE(contains(r.output, "build:")) << "nothing may run before the refusal\n" << r.output;
}

TEST(MemoryPreflightTest, NoPreflightRunsAnywayAndThePeakIsCompared) {
  for (const std::string& args : std::vector<std::string>{" generate --no-preflight" + kTiny, " --no-preflight generate" + kTiny}) {
    const auto r = run_shell(kFake + testing::ablate_binary() + args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
    EXPECT_TRUE(contains(r.output, "memory estimate: ")) << r.output;
    EXPECT_TRUE(contains(r.output, "(preflight off)")) << r.output;
    EXPECT_TRUE(contains(r.output, "memory: measured ")) << r.output;
  }
}

TEST(MemoryPreflightTest, GenerateJsonRecordsTheEstimate) {
  const auto dir = testing::make_scratch_dir("memory_preflight_json");
  const auto r = run_ablate("generate" + kTiny + " --json " + dir + "/g.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = testing::read_json(dir + "/g.json");
  ASSERT_TRUE(j.contains("memory_estimate")) << j.dump(2);
  EXPECT_GT(j["memory_estimate"]["estimated_bytes"].get<int64_t>(), 0);
  EXPECT_GT(j["memory_estimate"]["measured_bytes"].get<int64_t>(), 0);
  EXPECT_TRUE(j["memory_estimate"]["items"].contains("vae decode")) << j.dump(2);
}

TEST(MemoryPreflightTest, RunRefusesBeforeWritingALedger) {
  const auto dir = testing::make_scratch_dir("memory_preflight_run");
  const auto r = run_shell(kFake + testing::ablate_binary() + " run" + kTiny +
                           " --axis sync_elim=off,on --warmup 0 --repetitions 1 --out " + dir + "/m");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "memory preflight: command line (preset tiny, world 1, rank 0, its largest combination)"))
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir + "/m/ledger.jsonl")) << r.output;
  const auto ok = run_shell(kFake + testing::ablate_binary() + " --no-preflight run" + kTiny +
                            " --axis sync_elim=off,on --warmup 0 --repetitions 1 --out " + dir + "/m2");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_TRUE(contains(ok.output, "memory estimate: ")) << ok.output;
}

TEST(MemoryPreflightTest, StrategiesBuildOptionsReachTheEstimate) {
  Workload w;
  w.preset = "1.3b";
  w.device = "cuda";
  const torch::Device cuda(torch::kCUDA, 0);
  const auto full = workload_memory_request(w, {}, cuda, 2, 0);
  EXPECT_EQ(full.residency, dist::Residency::kFullShard);
  EXPECT_EQ(full.weight_bytes, 2);
  const auto keep = workload_memory_request(w, {{"shard", "grad_op"}}, cuda, 2, 0);
  EXPECT_EQ(keep.residency, dist::Residency::kKeepGathered);
  EXPECT_GT(estimate_memory(keep).device_bytes, estimate_memory(full).device_bytes);
  const auto graph = workload_memory_request(w, {{"sync_elim", "on"}, {"cuda_graph", "on"}}, cuda, 1, 0);
  EXPECT_TRUE(graph.keep_kv_caches);
  EXPECT_GT(graph.extra_device_bytes, 0);
  EXPECT_EQ(graph.extra_label, "cuda graph pool");
  // the stage reuse keeps one group's stage outputs during the encode, in the VAE's dtype
  const auto reuse = workload_memory_request(w, {{"vae_encode_stage_reuse", "on"}}, cuda, 1, 0);
  const auto reuse_bf16 =
      workload_memory_request(w, {{"vae_encode_stage_reuse", "on"}, {"vae_precision", "bf16"}}, cuda, 1, 0);
  EXPECT_EQ(reuse.vae_encode_extra_bytes, vae_encode_group_stage_bytes(reuse.model.vae, reuse.geometry.height,
                                                                        reuse.geometry.width, 4));
  EXPECT_EQ(reuse_bf16.vae_encode_extra_bytes * 2, reuse.vae_encode_extra_bytes);
  EXPECT_EQ(reuse.vae_encode_extra_label, "encode stage outputs");
  EXPECT_EQ(workload_memory_request(w, {}, cuda, 1, 0).vae_encode_extra_bytes, 0);
  // a matrix must fit its largest combination
  const auto largest = largest_memory_estimate(w, {{}, {{"shard", "grad_op"}}}, cuda, 2, 0);
  EXPECT_EQ(largest.device_bytes, estimate_memory(keep).device_bytes);
}

TEST(MemoryPreflightTest, MemoryCommandPrintsTheBreakdownAndTheTable) {
  const auto one = run_ablate("memory --preset 14b --world 2 --set shard=grad_op");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_TRUE(contains(one.output, "preset 14b, world 2, rank 0, cuda: peak ")) << one.output;
  EXPECT_TRUE(contains(one.output, "  kv cache: ")) << one.output;
  EXPECT_TRUE(contains(one.output, "  dit weights: ")) << one.output;
  const auto table = run_ablate("memory --table");
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_TRUE(contains(table.output, "| 14b | 8 | grad_op |")) << table.output;
  EXPECT_TRUE(contains(table.output, "| 1.3b | 1 | - |")) << table.output;
  testing::expect_usage_error("memory --world 2 --rank 2", "--rank 2: expected a rank below --world 2");
}

}  // namespace memory_preflight_test
}  // namespace ablate
