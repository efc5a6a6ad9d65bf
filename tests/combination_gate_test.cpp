// Issue 4's combination gate through the committed CPU baseline (baselines/ci-check-tiny.json,
// experiments/matrices/ci-check-tiny.json): every pair of values of the CPU-applicable strategies
// plus the full stack reproduces the locked MD5, in one process and over two Gloo ranks; the
// world-1 and world-2 entries lock the same video.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"

namespace ablate {
namespace {

const std::string kBaseline = std::string(ABLATE_SOURCE_DIR) + "/baselines/ci-check-tiny.json";
// the kernels' ISA pinned as when the baseline was locked (scripts/cpu-isa.sh)
const std::string kIsa = "ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 ";

TEST(CombinationGateTest, WorldOneAndTwoLockTheSameVideo) {
  const auto j = nlohmann::json::parse(testing::read_text(kBaseline));
  ASSERT_EQ(j["entries"].size(), 2u);
  EXPECT_EQ(j["entries"][0]["fingerprint"]["world_size"], 1);
  EXPECT_EQ(j["entries"][1]["fingerprint"]["world_size"], 2);
  EXPECT_EQ(j["entries"][0]["md5"], j["entries"][1]["md5"]);
  EXPECT_EQ(j["entries"][0]["hash_chain"], j["entries"][1]["hash_chain"]);
  EXPECT_EQ(j["entries"][0]["tiers"].size(), 12u);  // baseline + covering rows + full stack
}

TEST(CombinationGateTest, EveryPairHoldsTheBaselineInOneProcess) {
  const auto r = testing::run_shell(kIsa + testing::ablate_binary() + " check --baseline " + kBaseline);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ablate check: 12 passed, 0 failed, 0 skipped"), std::string::npos) << r.output;
}

TEST(CombinationGateTest, EveryPairHoldsTheBaselineOnTwoRanks) {
  const auto r = testing::run_shell(kIsa + testing::ablate_binary() + " launch --nproc 2 -- check --baseline " + kBaseline);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ablate check: 12 passed, 0 failed, 0 skipped"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ablate
