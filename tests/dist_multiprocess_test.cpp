// Distributed runtime on the CPU: two Gloo ranks started by `ablate launch` (or by hand), checked
// for identical outputs, collective counts, sharding modes, failure handling and bad configs.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "core/config.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace dist_multiprocess_test {

const std::string kAblate = testing::ablate_binary();

testing::CommandResult sh(const std::string& script) { return testing::run_shell(script); }

std::string tmp(const std::string& name) { return std::string(ABLATE_BINARY_DIR) + "/dist-test-" + name; }

nlohmann::json load(const std::string& path) { return testing::read_json(path); }

std::set<std::string> latent_md5s(const std::string& output) {
  std::set<std::string> md5s;
  std::regex re("rank [0-9]+ latents md5 ([0-9a-f]{32})");
  for (std::sregex_iterator it(output.begin(), output.end(), re), end; it != end; ++it) md5s.insert((*it)[1]);
  return md5s;
}

const char* kTiny = "generate --preset tiny --size 32*32 --frames 17";  // 1 chunk: 5 forwards

TEST(DistMultiProcessTest, TwoRanksAgreeAndMatchOneRank) {
  auto two = sh(kAblate + " launch --nproc 2 -- " + kTiny + " --json " + tmp("w2.json") + " --save-latents " + tmp("w2.pt"));
  ASSERT_EQ(two.exit_code, 0) << two.output;
  EXPECT_NE(two.output.find("[rank 1] rank 1 latents md5"), std::string::npos) << two.output;
  EXPECT_EQ(latent_md5s(two.output).size(), 1u) << "ranks hold different latents:\n" << two.output;
  auto one = sh(kAblate + " " + kTiny + " --json " + tmp("w1.json") + " --save-latents " + tmp("w1.pt"));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  torch::Tensor a, b;
  torch::load(a, tmp("w1.pt"));
  torch::load(b, tmp("w2.pt"));
  const double max_abs = (a - b).abs().max().item<double>();
  // world 2 runs the same math on half the tokens per GEMM and attention per head group; CPU
  // kernels may sum in another order, so agreement is to float32 rounding of 35 chained forwards
  EXPECT_LT(max_abs, 1e-3);
  const bool bit_identical = load(tmp("w1.json"))["md5"] == load(tmp("w2.json"))["md5"];
  std::cout << "[ world ] world 2 vs world 1: max |latent diff| = " << max_abs
            << ", video bit-identical = " << bit_identical << "\n";
}

// FSDP1's FULL_SHARD as the reference runs it, counted at two Gloo ranks over two generate()s:
// the root unit gathered once per process and kept; every block gathered at every forward (DiT)
// and every encode (text encoder); FSDP1's rate limiter (two gathered units in flight) waits on
// the host before every block gather but the first two of the process; the seed broadcast once
// per process; one barrier at the end of every generate().
TEST(DistMultiProcessTest, CollectiveAndSyncCountsAreFsdp1s) {
  auto r = sh(kAblate + " launch --nproc 2 -- " + kTiny + " --runs 2 --json " + tmp("counts.json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto runs = load(tmp("counts.json"))["runs"];
  ASSERT_EQ(runs.size(), 2u);
  const auto m = preset("tiny");
  const int64_t blocks = m.dit.num_layers(), t5_blocks = m.t5.num_layers();
  for (int i = 0; i < 2; ++i) {
    const auto& run = runs[i];
    const int64_t forwards = run["dit_forwards"];
    const auto& c = run["collectives"];
    EXPECT_EQ(forwards, 5);
    EXPECT_EQ(c["all_to_all"]["calls"].get<int64_t>(), 4 * blocks * forwards);
    EXPECT_EQ(c["all_gather"]["calls"].get<int64_t>(), forwards);
    const int64_t roots = i == 0 ? 2 : 0;  // DiT and text-encoder roots: the first generate() only
    EXPECT_EQ(c["param_all_gather"]["calls"].get<int64_t>(), blocks * forwards + t5_blocks + roots) << i;
    EXPECT_EQ(c.value("broadcast", nlohmann::json::object()).value("calls", 0), i == 0 ? 1 : 0) << i;  // the seed
    EXPECT_EQ(c["barrier"]["calls"].get<int64_t>(), 1) << i;  // generate()'s last act
    // the limiter: a host wait before every block gather but the first two of each model
    const int64_t waits = blocks * forwards + t5_blocks - (i == 0 ? 4 : 0);
    EXPECT_EQ(run["host_reads"]["gather_limiter"].get<int64_t>(), waits) << i;
    EXPECT_EQ(run["dit_host_reads"]["gather_limiter"].get<int64_t>(), blocks * forwards - (i == 0 ? 2 : 0)) << i;
  }
}

TEST(DistMultiProcessTest, ShardingModesAreBitIdentical) {
  std::string md5;
  for (const char* shard : {"full", "grad_op", "none"}) {
    const auto path = tmp(std::string("shard-") + shard + ".json");
    auto r = sh(kAblate + " launch --nproc 2 -- " + kTiny + " --shard " + shard + " --json " + path);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto j = load(path);
    if (md5.empty()) md5 = j["md5"];
    EXPECT_EQ(j["md5"], md5) << shard;
    const auto& c = j["runs"][0]["collectives"];
    const int64_t units = preset("tiny").dit.num_layers() + 1 + preset("tiny").t5.num_layers() + 1;
    if (std::string(shard) == "grad_op") {  // every unit once, then kept: no frees, no limiter waits
      EXPECT_EQ(c["param_all_gather"]["calls"].get<int64_t>(), units);
      EXPECT_EQ(j["runs"][0]["host_reads"]["gather_limiter"].get<int64_t>(), 0);
    }
    if (std::string(shard) == "none") {
      EXPECT_FALSE(c.contains("param_all_gather"));
    }
  }
}

TEST(DistMultiProcessTest, PrefetchedGathersGiveTheSameVideoAndCounts) {
  auto base = sh(kAblate + " launch --nproc 2 -- " + kTiny + " --json " + tmp("nopf.json"));
  auto pf = sh(kAblate + " launch --nproc 2 -- " + kTiny + " --prefetch-gathers --json " + tmp("pf.json"));
  ASSERT_EQ(base.exit_code, 0) << base.output;
  ASSERT_EQ(pf.exit_code, 0) << pf.output;
  const auto a = load(tmp("nopf.json")), b = load(tmp("pf.json"));
  EXPECT_EQ(a["md5"], b["md5"]);
  EXPECT_EQ(a["runs"][0]["collectives"]["param_all_gather"]["calls"],
            b["runs"][0]["collectives"]["param_all_gather"]["calls"]);
}

TEST(DistMultiProcessTest, KilledRankEndsTheRunWithAnError) {
  // by hand: rank 1 kills itself before its third forward; rank 0 must fail, not hang
  const std::string port = std::to_string(29700 + getpid() % 200);
  const std::string common = "export WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + "; ";
  const std::string args = std::string(" ") + kTiny + " --collective-timeout 30 --debug-crash-rank 1 --debug-crash-after-forwards 2";
  auto r = sh(common + "RANK=1 LOCAL_RANK=1 " + kAblate + args + " >/dev/null 2>&1 & RANK=0 LOCAL_RANK=0 timeout 120 " +
              kAblate + args + "; echo rank0_exit=$?");
  EXPECT_EQ(r.output.find("rank0_exit=0"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("rank0_exit=124"), std::string::npos) << "rank 0 hung:\n" << r.output;
  EXPECT_NE(r.output.find("ablate: failed:"), std::string::npos) << r.output;
  EXPECT_LT(r.seconds, 60.0);
  // through launch: non-zero, and the failure is named
  auto l = sh(kAblate + " launch --nproc 2 -- " + kTiny + " --debug-crash-rank 1 --debug-crash-after-forwards 2");
  EXPECT_NE(l.exit_code, 0) << l.output;
  EXPECT_NE(l.output.find("launch: rank 1 failed"), std::string::npos) << l.output;
}

TEST(DistMultiProcessTest, BadConfigurationsAreNamed) {
  auto heads = sh(kAblate + " launch --nproc 3 -- " + kTiny);
  EXPECT_EQ(heads.exit_code, 2) << heads.output;
  EXPECT_NE(heads.output.find("world size 3 does not divide the 4 attention heads"), std::string::npos) << heads.output;
  auto mismatch = sh(kAblate + " launch --nproc 2 -- " + kTiny + " --world-size 4");
  EXPECT_EQ(mismatch.exit_code, 2) << mismatch.output;
  EXPECT_NE(mismatch.output.find("--world-size 4 does not match the environment (WORLD_SIZE=2)"), std::string::npos)
      << mismatch.output;
  auto missing = sh("env -u RANK WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29999 " + kAblate + " " + kTiny);
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("environment variable RANK is not set"), std::string::npos) << missing.output;
  auto alone = sh(kAblate + " " + kTiny + " --world-size 2");
  EXPECT_EQ(alone.exit_code, 2) << alone.output;
  EXPECT_NE(alone.output.find("no WORLD_SIZE set"), std::string::npos) << alone.output;
}

}  // namespace dist_multiprocess_test
}  // namespace ablate
