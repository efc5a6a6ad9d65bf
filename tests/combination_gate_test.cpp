// The committed CPU baseline (baselines/ci-check-tiny.json, experiments/matrices/ci-check-tiny.json):
// the world-1 and world-2 entries lock the same video. The gate itself (every pair of values of the
// CPU-applicable strategies plus the full stack, in one process and over two Gloo ranks) is what
// .ci/run runs after the tests, so it is not run twice.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"

namespace ablate {
namespace combination_gate_test {

const std::string kBaseline = std::string(ABLATE_SOURCE_DIR) + "/baselines/ci-check-tiny.json";

TEST(CombinationGateTest, WorldOneAndTwoLockTheSameVideo) {
  const auto j = nlohmann::json::parse(testing::read_text(kBaseline));
  ASSERT_EQ(j["entries"].size(), 2u);
  EXPECT_EQ(j["entries"][0]["fingerprint"]["world_size"], 1);
  EXPECT_EQ(j["entries"][1]["fingerprint"]["world_size"], 2);
  EXPECT_EQ(j["entries"][0]["md5"], j["entries"][1]["md5"]);
  EXPECT_EQ(j["entries"][0]["hash_chain"], j["entries"][1]["hash_chain"]);
  EXPECT_EQ(j["entries"][0]["tiers"].size(), 12u);  // baseline + covering rows + full stack
}

}  // namespace combination_gate_test
}  // namespace ablate
