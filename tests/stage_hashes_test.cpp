// experiments/cli/stage_hashes.h: each run's MD5 of the first forward's inputs, and the first stage
// at which two runs of a request part.
#include <gtest/gtest.h>

#include "core/pipeline.h"
#include "experiments/cli/stage_hashes.h"

namespace ablate {
namespace stage_hashes_test {

GenerateRequest small_request(uint64_t seed) {
  GenerateRequest r;
  r.seed = seed;
  r.geometry.height = 32;
  r.geometry.width = 32;
  r.geometry.frames = 9;  // one chunk
  return r;
}

// what generate() hands the observer: every stage, each once; a second run of the request hashes
// the same, another seed changes only the noise
TEST(StageHashesTest, SeedChangesOnlyTheNoiseStage) {
  PipelineOptions o;
  o.model = preset("tiny");
  Pipeline pipeline(o);
  auto stages_of = [&](uint64_t seed) {
    StageHashes hashes;
    auto request = small_request(seed);
    int64_t forwarded = 0;  // the chained observer still sees every name
    request.observe = hashes.observer([&](const std::string&, const torch::Tensor&) { ++forwarded; });
    pipeline.generate(request);
    EXPECT_GT(forwarded, 3);
    return hashes.md5s();
  };
  const auto a = stages_of(42), again = stages_of(42), b = stages_of(7);
  ASSERT_EQ(a.size(), StageHashes::stages().size()) << a.dump();
  for (const auto& stage : StageHashes::stages()) EXPECT_EQ(a[stage].get<std::string>().size(), 32u) << stage;
  EXPECT_EQ(a, again);
  EXPECT_NE(a["noise_initial"], b["noise_initial"]);
  EXPECT_EQ(a["text_embedding"], b["text_embedding"]);
  EXPECT_EQ(a["control"], b["control"]);
  EXPECT_EQ(a["first_frame_latent"], b["first_frame_latent"]);
  nlohmann::json ra{{"md5", "v1"}, {"stage_md5", a}, {"hash_chain", {"c1", "c2"}}};
  nlohmann::json rb{{"md5", "v2"}, {"stage_md5", b}, {"hash_chain", {"d1", "d2"}}};
  EXPECT_EQ(first_divergence(ra, rb), "noise_initial");
}

// the order: inputs as generate() makes them, then the steps, then the decode
TEST(StageHashesTest, FirstDivergenceNamesTheEarliestStage) {
  const nlohmann::json stages{{"noise_initial", "n"}, {"text_embedding", "t"}, {"control", "c"}, {"first_frame_latent", "f"}};
  const nlohmann::json a{{"md5", "v"}, {"stage_md5", stages}, {"hash_chain", {"s1", "s2", "s3", "s4"}}};
  EXPECT_EQ(first_divergence(a, a), "");
  auto b = a;
  b["md5"] = "w";
  EXPECT_EQ(first_divergence(a, b), "vae_decode");
  b["hash_chain"][2] = "x3";
  b["hash_chain"][3] = "x4";
  EXPECT_EQ(first_divergence(a, b), "denoising step 3 of 4");
  b["stage_md5"]["first_frame_latent"] = "g";
  EXPECT_EQ(first_divergence(a, b), "first_frame_latent");
  b["stage_md5"]["control"] = "d";
  EXPECT_EQ(first_divergence(a, b), "control");
  b["stage_md5"]["text_embedding"] = "u";
  EXPECT_EQ(first_divergence(a, b), "text_embedding");
  // a run written before the stage hashes: the chain still places the divergence
  auto old = a;
  old.erase("stage_md5");
  EXPECT_EQ(first_divergence(old, b), "denoising step 3 of 4");
}

}  // namespace stage_hashes_test
}  // namespace ablate
