// `ablate generate` as a user meets it: bad input exits 2 with a message naming the value and
// what is valid; a good run prints the geometry and the MD5 and writes its JSON.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/cli_test_util.h"

namespace ablate {
namespace generate_command_test {

using testing::expect_usage_error;
using testing::run_ablate;

TEST(GenerateCommandTest, BadInputExitsTwoWithAMessage) {
  expect_usage_error("generate --preset huge", "unknown preset 'huge'; valid presets: tiny, 1.3b, 14b");
  expect_usage_error("generate --frames 80", "expected 4n+1 frames");
  expect_usage_error("generate --height 472 --width 832", "odd latent size 59");
  expect_usage_error("generate --dtype fp8", "valid values: fp32, bf16");
  expect_usage_error("generate --device tpu", "valid devices: cpu, cuda, cuda:N");
  expect_usage_error("generate --local-attn-size 40", "larger than the whole cache of 21 latent frames");
  expect_usage_error("generate --json /nonexistent-folder/x.json", "does not exist");
  expect_usage_error("generate --frames", "");  // CLI11 parse error
  expect_usage_error("generate --seed 99999999999999999999", "--seed");        // beyond 64 bits
  expect_usage_error("generate --seed -1", "--seed");
  expect_usage_error("generate --runs 0", "--runs");
  expect_usage_error("generate --size 64*64 --height 64 --width 64", "are exclusive");
#if !defined(ABLATE_CUDA)
  expect_usage_error("generate --device cuda", "no CUDA GPU is available");
#endif
}

TEST(GenerateCommandTest, TinyRunPrintsGeometryAndWritesJson) {
  const std::string json_path = std::string(ABLATE_BINARY_DIR) + "/generate-command-test.json";
  std::remove(json_path.c_str());
  const auto r = run_ablate("generate --preset tiny --frames 17 --runs 2 --json " + json_path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("latent 3x8x8, 16 tokens/frame, 1 chunks of 3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("run 2 (warm)"), std::string::npos) << r.output;
  std::ifstream f(json_path);
  ASSERT_TRUE(f.good());
  const auto j = nlohmann::json::parse(f);
  ASSERT_EQ(j["runs"].size(), 2u);
  EXPECT_EQ(j["runs"][0]["md5"], j["runs"][1]["md5"]);
  EXPECT_EQ(j["md5"].get<std::string>().size(), 32u);
  EXPECT_EQ(j["runs"][0]["dit_forwards"], 5);
  EXPECT_EQ(j["runs"][0]["hash_chain"].size(), 4u);
  EXPECT_TRUE(j["runs"][0]["phases"].contains("vae_decode"));
  EXPECT_TRUE(j["runs"][0]["phases"].contains("chunk[0]"));
  EXPECT_NE(r.output.find("md5: " + j["md5"].get<std::string>()), std::string::npos);
}

// persistent=per_request does what it says: every run rebuilds the engine and its sample holds
// the rebuild; reuse (the default) does not.
TEST(GenerateCommandTest, PersistentPerRequestRebuildsTheEngineEveryRun) {
  const std::string json_path = std::string(ABLATE_BINARY_DIR) + "/generate-per-request.json";
  const auto r = run_ablate("generate --preset tiny --size 32*32 --frames 9 --runs 2 --set persistent=per_request --json " +
                            json_path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = testing::read_json(json_path);
  ASSERT_EQ(j["runs"].size(), 2u);
  for (const auto& run : j["runs"])  // the sample is build + install + generate()
    EXPECT_GT(run["sample_ms"].get<double>(), run["generate_ms"].get<double>()) << run.dump();
  EXPECT_EQ(j["runs"][0]["md5"], j["runs"][1]["md5"]);
}

}  // namespace generate_command_test
}  // namespace ablate
