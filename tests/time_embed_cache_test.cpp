// What the DiT's forwards share, computed once: time_embed_cache (every chunk's forwards reuse the
// first chunk's time embeddings) and camera_cache (a chunk's forwards reuse its first forward's
// camera terms); bit-identically, also stacked and across generate() calls.
#include <gtest/gtest.h>

#include "core/video_hash.h"
#include "optimizations/registry.h"

namespace ablate::opt {
namespace time_embed_cache_test {

struct Result {
  std::string md5;
  nlohmann::json counters;
  int64_t time_copies = 0;
};

Result run(int64_t frames, const std::map<std::string, std::string>& values, int generates = 1,
           const std::string& counted = "time_embed_cache") {
  PipelineOptions o;
  o.model = preset("tiny");
  Pipeline p(o);
  GenerateRequest r;
  r.geometry.size = "32*32";
  r.geometry.frames = frames;
  std::vector<std::unique_ptr<Strategy>> strategies;
  for (const auto& [name, value] : values) {
    strategies.push_back(make_strategy(name));
    strategies.back()->install(value, p, InstallContext{r});
  }
  Result res;
  for (int k = 0; k < generates; ++k) {
    auto out = p.generate(r);
    res.md5 = tensor_md5(video_to_uint8(out.video));
    res.time_copies = out.dit_host_reads.of(HostReadSite::kTimeFrequencies);
  }
  for (size_t i = 0; i < strategies.size(); ++i)
    if (strategies[i]->info().name == counted) res.counters = strategies[i]->counters();
  return res;
}

TEST(TimeEmbedCacheTest, LaterChunksReuseTheFirstChunksEmbeddingsBitIdentically) {
  // 81 frames: 21 latent frames, 7 chunks of 3; 5 forwards each (4 steps + the refresh)
  const auto base = run(81, {});
  const auto cached = run(81, {{"time_embed_cache", "on"}});
  EXPECT_EQ(cached.md5, base.md5);
  EXPECT_EQ(cached.counters["misses"].get<int64_t>(), 5);  // chunk 0: one per distinct timestep
  EXPECT_EQ(cached.counters["hits"].get<int64_t>(), 30);   // chunks 1-6
  EXPECT_EQ(cached.counters["entries"].get<int64_t>(), 5);
  EXPECT_GT(cached.counters["bytes"].get<int64_t>(), 0);
  EXPECT_EQ(base.time_copies, 35);   // one host copy per forward
  EXPECT_EQ(cached.time_copies, 5);  // a hit computes nothing
}

TEST(TimeEmbedCacheTest, SecondGenerateHitsEverythingAndStacksWithTheBroadcast) {
  const auto base = run(21, {{"timestep_embed_once", "on"}}, 2);
  const auto both = run(21, {{"timestep_embed_once", "on"}, {"time_embed_cache", "on"}}, 2);
  EXPECT_EQ(both.md5, base.md5);
  // 21 frames: 6 latent frames, 2 chunks of 3: 10 forwards per generate, 5 distinct timesteps
  EXPECT_EQ(both.counters["misses"].get<int64_t>(), 5);
  EXPECT_EQ(both.counters["hits"].get<int64_t>(), 15);
  EXPECT_EQ(both.time_copies, 0);  // the second generate() hits every forward
}

TEST(CameraCacheTest, AChunksLaterForwardsReadItsFirstForwardsCameraTermsBitIdentically) {
  const int64_t blocks = preset("tiny").dit.num_layers();
  const auto base = run(21, {}, 2);
  const auto cached = run(21, {{"camera_cache", "on"}}, 2, "camera_cache");
  EXPECT_EQ(cached.md5, base.md5);
  // per generate: 2 chunks, each filling the embedding and every block's terms once and reading
  // them in its other 4 forwards (3 denoising steps and the refresh)
  EXPECT_EQ(cached.counters["fills"].get<int64_t>(), 2 * 2 * (blocks + 1));
  EXPECT_EQ(cached.counters["reuses"].get<int64_t>(), 2 * 2 * 4 * (blocks + 1));
  EXPECT_EQ(cached.counters["computed"].get<int64_t>(), 0);
  EXPECT_EQ(cached.counters["buffers"].get<int64_t>(), blocks + 1);  // one set, kept across calls
  EXPECT_GT(cached.counters["bytes"].get<int64_t>(), 0);
}

TEST(CameraCacheTest, StacksWithTheTimeEmbeddingCaches) {
  const std::map<std::string, std::string> time = {{"timestep_embed_once", "on"}, {"time_embed_cache", "on"}};
  auto all = time;
  all["camera_cache"] = "on";
  EXPECT_EQ(run(21, all).md5, run(21, time).md5);
}

}  // namespace time_embed_cache_test
}  // namespace ablate::opt
