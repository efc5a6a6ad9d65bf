// `ablate generate` as a user meets it: bad input exits 2 with a message naming the value and
// what is valid; a good run prints the geometry and the MD5 and writes its JSON.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/wait.h>

namespace ablate {
namespace {

struct CommandResult {
  int exit_code;
  std::string output;
};

CommandResult run_ablate(const std::string& args) {
  const std::string cmd = std::string(ABLATE_BINARY_DIR) + "/experiments/ablate " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe)) out += buf.data();
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

void expect_usage_error(const std::string& args, const std::string& needle) {
  const auto r = run_ablate(args);
  EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << args << "\n" << r.output;
}

TEST(GenerateCommandTest, BadInputExitsTwoWithAMessage) {
  expect_usage_error("generate --preset huge", "unknown preset 'huge'; valid presets: tiny, 1.3b, 14b");
  expect_usage_error("generate --frames 80", "expected 4n+1 frames");
  expect_usage_error("generate --height 472 --width 832", "odd latent size 59");
  expect_usage_error("generate --dtype fp8", "valid values: fp32, bf16");
  expect_usage_error("generate --device tpu", "valid devices: cpu, cuda, cuda:N");
  expect_usage_error("generate --local-attn-size 40", "larger than the whole cache of 21 latent frames");
  expect_usage_error("generate --json /nonexistent-folder/x.json", "does not exist");
  expect_usage_error("generate --frames", "");  // CLI11 parse error
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

}  // namespace
}  // namespace ablate
