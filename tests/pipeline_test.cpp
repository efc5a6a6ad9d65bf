// The whole core generator on the tiny preset: the real 81-frame schedule (7 chunks, 35 forwards),
// host-read counts, determinism and output layout.
#include "core/pipeline.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "core/video_hash.h"

namespace ablate {
namespace pipeline_test {

PipelineOptions tiny_options() {
  PipelineOptions o;
  o.model = preset("tiny");
  return o;
}

// One pipeline for the tests of this file that do not need a fresh one.
Pipeline& tiny_pipeline() {
  static Pipeline p(tiny_options());
  return p;
}

TEST(PipelineTest, Tiny81FramesRunsTheReferenceSchedule) {
  GenerateRequest r;
  r.geometry.size = "32*32";  // the schedule depends on the frames, not the picture size
  auto out = tiny_pipeline().generate(r);
  const auto& g = out.geometry;
  EXPECT_EQ(g.lat_f, 21);
  EXPECT_EQ(g.num_chunks, 7);
  EXPECT_EQ(out.dit_forwards, 35);
  const int64_t blocks = preset("tiny").dit.num_layers();
  // 3 device reads per block per forward (cross-attention is_init, KV local and global end) and the
  // time embedding's frequency copy per forward
  EXPECT_EQ(out.dit_host_reads.syncs(), (3 * blocks + 1) * 35);
  EXPECT_EQ(out.dit_host_reads.of(HostReadSite::kTimeFrequencies), 35);
  EXPECT_EQ(out.dit_host_reads.of(HostReadSite::kCrossAttnIsInit), blocks * 35);
  // sampler: one sigma lookup per step (28), one re-noise lookup per non-final step (21); text: 1
  EXPECT_EQ(out.host_reads.of(HostReadSite::kSamplerSigma), 28);
  EXPECT_EQ(out.host_reads.of(HostReadSite::kSamplerNoiseIndex), 21);
  EXPECT_EQ(out.host_reads.of(HostReadSite::kTextLength), 1);
  EXPECT_EQ(out.host_reads.syncs(), (3 * blocks + 1) * 35 + 28 + 21 + 1);
  // output layout
  EXPECT_EQ(out.video.sizes(), torch::IntArrayRef({3, 81, 32, 32}));
  EXPECT_EQ(out.latents.sizes(), torch::IntArrayRef({16, 21, 4, 4}));
  EXPECT_EQ(out.step_latents.size(), 28u);
  auto u8 = video_to_uint8(out.video);
  EXPECT_EQ(u8.sizes(), torch::IntArrayRef({81, 32, 32, 3}));
  // healthy: finite latents, a video that is neither flat nor saturated
  EXPECT_TRUE(torch::isfinite(out.latents).all().item<bool>());
  const double saturated = (out.video.abs() >= 1.0f).to(torch::kFloat).mean().item<double>();
  EXPECT_LT(saturated, 0.05);
  EXPECT_GT(out.video.std().item<double>(), 0.05);
}

TEST(PipelineTest, SameRequestSameMd5OtherSeedOtherMd5) {
  GenerateRequest r;
  r.geometry.size = "32*32";
  r.geometry.frames = 33;  // 9 latent frames: 3 chunks, enough to exercise the cache
  auto a = tiny_pipeline().generate(r);
  auto b = tiny_pipeline().generate(r);
  const auto md5_a = tensor_md5(video_to_uint8(a.video));
  EXPECT_EQ(md5_a, tensor_md5(video_to_uint8(b.video)));
  EXPECT_EQ(hash_chain(a.step_latents), hash_chain(b.step_latents));
  r.seed = 43;
  auto c = tiny_pipeline().generate(r);
  EXPECT_NE(md5_a, tensor_md5(video_to_uint8(c.video)));
  const auto chain_a = hash_chain(a.step_latents), chain_c = hash_chain(c.step_latents);
  EXPECT_NE(chain_a.front(), chain_c.front());
}

TEST(PipelineTest, FreshPipelineGivesTheSameVideo) {
  // weights depend on the seed and the key names only, not on the build
  GenerateRequest r;
  r.geometry.size = "32*32";
  r.geometry.frames = 9;
  Pipeline other(tiny_options());
  EXPECT_EQ(tensor_md5(video_to_uint8(other.generate(r).video)),
            tensor_md5(video_to_uint8(tiny_pipeline().generate(r).video)));
}

TEST(PipelineTest, VaeFrameCountIsOnePlusFourTimesLatentFramesMinusOne) {
  GenerateRequest r;
  r.geometry.frames = 13;  // 4 latent frames -> trimmed to 3 (one chunk) -> 9 frames
  auto out = tiny_pipeline().generate(r);
  EXPECT_EQ(out.geometry.lat_f, 3);
  EXPECT_EQ(out.video.size(1), 1 + 4 * (out.geometry.lat_f - 1));
  EXPECT_EQ(out.dit_forwards, 5);
}

// GenerateRequest::observe sees every intermediate in generate()'s order; GenerateRequest::noise
// replaces every draw (the observed draws fed back give the seeded run's bits under another seed);
// a draw of the wrong shape is named.
TEST(PipelineTest, NoiseSourceAndObserver) {
  GenerateRequest r;
  r.geometry.size = "32*32";
  r.geometry.frames = 9;  // one chunk: 4 steps, 3 re-noising draws
  std::vector<std::string> names;
  std::map<std::string, torch::Tensor> seen;
  r.observe = [&](const std::string& name, const torch::Tensor& t) {
    names.push_back(name);
    seen[name] = t.clone();
  };
  const auto a = tiny_pipeline().generate(r);
  const std::vector<std::string> order{"noise_initial", "text_embedding", "control", "first_frame_latent",
                                       "dit_output_c0_s0", "x0_c0_s0", "noise_c0_s0",
                                       "dit_output_c0_s1", "x0_c0_s1", "noise_c0_s1",
                                       "dit_output_c0_s2", "x0_c0_s2", "noise_c0_s2",
                                       "dit_output_c0_s3", "x0_c0_s3", "latents", "video"};
  EXPECT_EQ(names, order);
  EXPECT_TRUE(torch::equal(seen["video"], a.video));
  EXPECT_TRUE(torch::equal(seen["x0_c0_s3"], a.step_latents.back()));
  EXPECT_EQ(seen["noise_initial"].sizes(), torch::IntArrayRef({16, 3, 4, 4}));

  GenerateRequest fed = r;
  fed.observe = nullptr;
  fed.seed = 7;
  std::vector<std::string> draws;
  fed.noise = [&](const NoiseDraw& d) {
    const std::string name = d.chunk < 0 ? "noise_initial"
                                         : "noise_c" + std::to_string(d.chunk) + "_s" + std::to_string(d.step);
    draws.push_back(name);
    EXPECT_EQ(seen[name].sizes(), c10::IntArrayRef(d.shape)) << name;
    return seen[name];
  };
  const auto b = tiny_pipeline().generate(fed);
  EXPECT_EQ(draws, (std::vector<std::string>{"noise_initial", "noise_c0_s0", "noise_c0_s1", "noise_c0_s2"}));
  EXPECT_EQ(tensor_md5(video_to_uint8(b.video)), tensor_md5(video_to_uint8(a.video)));

  fed.noise = [](const NoiseDraw& d) {
    return d.chunk < 0 ? torch::zeros({16, 3, 4, 4}) : torch::zeros({16, 3, 4, 5});
  };
  try {
    tiny_pipeline().generate(fed);
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "noise source: expected the re-noising draw after step 0 of chunk 0 as "
                                     "[16, 3, 4, 4] float32, found [16, 3, 4, 5] float32");
  }
}

}  // namespace pipeline_test
}  // namespace ablate
