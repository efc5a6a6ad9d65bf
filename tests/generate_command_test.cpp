// `ablate generate` as a user meets it: bad input exits 2 with a message naming the value and
// what is valid; a good run prints the geometry and the MD5 and writes its JSON.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/io/npy.h"
#include "core/video_hash.h"
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
  // the first forward's inputs, hashed in every run (experiments/cli/stage_hashes.h)
  EXPECT_EQ(j["runs"][0]["stage_md5"].size(), 4u) << j["runs"][0].dump();
  EXPECT_EQ(j["runs"][0]["stage_md5"], j["runs"][1]["stage_md5"]);
  EXPECT_FALSE(j["runs"][1].contains("diverged"));
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

// --no-phase-timers times generate() as a whole only (the harness-cost arm): no phases, the same video
TEST(GenerateCommandTest, NoPhaseTimersTimesOnlyTheWholeGenerate) {
  const std::string dir = testing::fresh_dir("no-phase-timers");
  const std::string run = "generate --preset tiny --size 32*32 --frames 9 --runs 2 --json " + dir;
  const auto with = run_ablate(run + "/with.json");
  const auto without = run_ablate(run + "/without.json --no-phase-timers");
  ASSERT_EQ(with.exit_code, 0) << with.output;
  ASSERT_EQ(without.exit_code, 0) << without.output;
  const auto a = testing::read_json(dir + "/with.json");
  const auto b = testing::read_json(dir + "/without.json");
  EXPECT_EQ(a["md5"], b["md5"]);
  for (const auto& r : b["runs"]) {
    EXPECT_TRUE(r["phases"].empty()) << r.dump();
    EXPECT_TRUE(r["latency_ms"].empty()) << r.dump();
    EXPECT_FALSE(r.contains("outside_phases_ms")) << r.dump();
    EXPECT_GT(r["generate_ms"].get<double>(), 0.0);
  }
  // with the timers: on the CPU the phases run one after another, so what lies outside them is
  // generate() less their sum
  for (const auto& r : a["runs"]) {
    double phases = 0;
    for (const auto& [label, ms] : r["phases"].items()) phases += ms.get<double>();
    EXPECT_NEAR(r["outside_phases_ms"].get<double>(), r["generate_ms"].get<double>() - phases, 1e-3) << r.dump();
  }
  EXPECT_NE(with.output.find(" | outside phases "), std::string::npos) << with.output;
  EXPECT_TRUE(a["runs"][1]["phases"].contains("vae_decode"));
  // the instrumentation's own counts: the same ranges either way (the work is the same), one timed
  // phase (generate()) without the phase timers, one per phase with them
  const auto& ia = a["runs"][1]["instrumentation"];
  const auto& ib = b["runs"][1]["instrumentation"];
  EXPECT_GT(ia["ranges"].get<int64_t>(), 9 * 4);  // at least one per DiT step of the 9 frames' chunks
  EXPECT_EQ(ia["ranges"], ib["ranges"]);
  EXPECT_EQ(ia["ranges"], a["runs"][0]["instrumentation"]["ranges"]);
  EXPECT_EQ(ib["timed_phases"].get<int64_t>(), 1);
  EXPECT_EQ(ia["timed_phases"].get<int64_t>(), 1 + static_cast<int64_t>(a["runs"][1]["phases"].size()));
}

// The cross-check files (experiments/cli/intermediates.h): a dump holds every named intermediate
// with its shape, its x0 files give the run's hash chain, and feeding its noise back under another
// seed gives the same video MD5 and the same noise bytes.
TEST(GenerateCommandTest, DumpedNoiseFedBackGivesTheSameVideo) {
  const std::string dir = testing::fresh_dir("generate-intermediates");
  const std::string run = "generate --preset tiny --size 32*32 --frames 9 ";
  const auto a = run_ablate(run + "--seed 42 --dump-intermediates " + dir + "/a --json " + dir + "/a.json");
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const auto ja = testing::read_json(dir + "/a.json");
  auto shape = [&](const std::string& name) { return io::read_npy(dir + "/a/" + name + ".npy").sizes().vec(); };
  using Shape = std::vector<int64_t>;
  EXPECT_EQ(shape("noise_initial"), (Shape{16, 3, 4, 4}));
  EXPECT_EQ(shape("first_frame_latent"), (Shape{16, 3, 4, 4}));
  EXPECT_EQ(shape("latents"), (Shape{16, 3, 4, 4}));
  EXPECT_EQ(shape("video"), (Shape{3, 9, 32, 32}));
  EXPECT_EQ(shape("text_embedding").size(), 2u);
  EXPECT_EQ(shape("text_embedding")[1], 32);  // the tiny T5's width
  std::vector<torch::Tensor> x0;
  for (int s = 0; s < 4; ++s) {
    EXPECT_EQ(shape("dit_output_c0_s" + std::to_string(s)), (Shape{16, 3, 4, 4}));
    x0.push_back(io::read_npy(dir + "/a/x0_c0_s" + std::to_string(s) + ".npy"));
    if (s < 3) {
      EXPECT_EQ(shape("noise_c0_s" + std::to_string(s)), (Shape{16, 3, 4, 4}));
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/a/noise_c0_s3.npy"));  // the last step does not re-noise
  EXPECT_EQ(nlohmann::json(hash_chain(x0)), ja["runs"][0]["hash_chain"]);
  const auto video = io::read_npy(dir + "/a/video.npy");
  EXPECT_EQ(tensor_md5(video_to_uint8(video)), ja["md5"]);

  const auto b = run_ablate(run + "--seed 7 --noise " + dir + "/a --dump-intermediates " + dir + "/b --json " + dir + "/b.json");
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_EQ(testing::read_json(dir + "/b.json")["md5"], ja["md5"]);
  for (const char* name : {"noise_initial", "noise_c0_s0", "noise_c0_s2", "x0_c0_s3"})
    EXPECT_EQ(testing::read_text(dir + "/b/" + name + ".npy"), testing::read_text(dir + "/a/" + name + ".npy")) << name;
  const auto c = run_ablate(run + "--seed 7 --json " + dir + "/c.json");  // the seed alone: other noise
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_NE(testing::read_json(dir + "/c.json")["md5"], ja["md5"]);

  // a draw missing from the folder, or of another shape, is named before any DiT forward runs
  std::filesystem::remove(dir + "/b/noise_c0_s1.npy");
  expect_usage_error(run + "--noise " + dir + "/b", dir + "/b/noise_c0_s1.npy");
  expect_usage_error("generate --preset tiny --size 32*48 --frames 9 --noise " + dir + "/a",
                     dir + "/a/noise_initial.npy: expected a noise draw (--noise) as [16, 3, 4, 6] float32, found "
                     "[16, 3, 4, 4] float32");
}

// --token-ids replaces the tokenizer: the prompt no longer matters, the ids do.
TEST(GenerateCommandTest, TokenIdsReplaceTheTokenizer) {
  const std::string dir = testing::fresh_dir("generate-token-ids");
  io::write_npy(dir + "/ids.npy", torch::tensor({17, 4000, 3, 99, 1}, torch::kLong));
  io::write_npy(dir + "/other.npy", torch::tensor({18, 4000, 3, 99, 1}, torch::kLong));
  const std::string run = "generate --preset tiny --size 32*32 --frames 9 ";
  auto md5 = [&](const std::string& args, const std::string& name) {
    const auto r = run_ablate(run + args + " --json " + dir + "/" + name + ".json");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return testing::read_json(dir + "/" + name + ".json")["md5"].get<std::string>();
  };
  const std::string a = md5("--token-ids " + dir + "/ids.npy --prompt one --dump-intermediates " + dir + "/a", "a");
  EXPECT_EQ(md5("--token-ids " + dir + "/ids.npy --prompt 'another prompt'", "b"), a);
  EXPECT_NE(md5("--token-ids " + dir + "/other.npy --prompt one", "c"), a);
  EXPECT_NE(md5("--prompt one", "d"), a);
  EXPECT_EQ(io::read_npy(dir + "/a/text_embedding.npy").sizes(), torch::IntArrayRef({5, 32}));  // 5 real tokens
  io::write_npy(dir + "/big.npy", torch::tensor({5000, 1}, torch::kLong));
  expect_usage_error(run + "--token-ids " + dir + "/big.npy", "the tokenizer has 5001 ids, but the text encoder's "
                     "vocabulary (vocab_size) has 4096 rows");
  io::write_npy(dir + "/bad.npy", torch::tensor({1.5f}));
  expect_usage_error(run + "--token-ids " + dir + "/bad.npy", dir + "/bad.npy: expected token ids as [L] or [1, L]");
}

}  // namespace generate_command_test
}  // namespace ablate
