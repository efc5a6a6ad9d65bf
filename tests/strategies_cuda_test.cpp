// GPU only (built in CUDA builds): the strategies that change how work runs on the device keep
// the tiny preset's video MD5 in bf16 on CUDA: cuda_graph (replays vs eager), vae_stream (the
// decode on a side stream), vae_encode_fixed_point (reuse past the fixed point).
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "core/video_hash.h"
#include "optimizations/registry.h"

namespace ablate::opt {
namespace strategies_cuda_test {

struct CudaRuns {
  std::vector<std::string> md5;
  std::vector<GenerateOutput> out;
  std::map<std::string, nlohmann::json> counters;
};

CudaRuns run_cuda(const std::map<std::string, std::string>& values, int generates, int64_t frames = 81) {
  at::globalContext().setBenchmarkCuDNN(false);
  at::globalContext().setDeterministicCuDNN(true);
  PipelineOptions o;
  o.model = preset("tiny");
  o.device = torch::Device(torch::kCUDA, 0);
  o.precision = Precision::for_name("bf16");
  RunConfig config;
  config.values = values;
  config.device = o.device;
  std::vector<std::pair<std::string, std::unique_ptr<Strategy>>> strategies;
  for (const auto& [name, value] : values) {
    auto s = make_strategy(name);
    EXPECT_EQ(s->validate(value, config), "") << name;
    s->configure(value, o);
    strategies.emplace_back(name, std::move(s));
  }
  Pipeline p(o);
  GenerateRequest r;
  r.geometry.frames = frames;
  for (auto& [name, s] : strategies) s->install(values.at(name), p, InstallContext{r});
  CudaRuns runs;
  for (int k = 0; k < generates; ++k) {
    auto out = p.generate(r);
    runs.md5.push_back(tensor_md5(video_to_uint8(out.video)));
    runs.out.push_back(out);
  }
  for (auto& [name, s] : strategies) runs.counters[name] = s->counters();
  return runs;
}

TEST(StrategiesCudaTest, CudaGraphReplaysKeepTheMd5AcrossGenerates) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto eager = run_cuda({{"sync_elim", "on"}}, 2);
  ASSERT_EQ(eager.md5[0], eager.md5[1]);
  const auto graph = run_cuda({{"sync_elim", "on"}, {"cuda_graph", "on"}}, 2);
  EXPECT_EQ(graph.md5[0], eager.md5[0]);
  EXPECT_EQ(graph.md5[1], eager.md5[0]);
  EXPECT_TRUE(torch::equal(graph.out[1].latents.cpu(), eager.out[1].latents.cpu()));
  const auto& k = graph.counters.at("cuda_graph");
  std::cout << "[ cuda_graph ] counters " << k.dump() << "\n";
  // generate 1: 1 eager + 14 captures + 20 replays; generate 2: 1 eager + 34 replays
  EXPECT_EQ(k["captures"], 14);
  EXPECT_EQ(k["replays"], 20 + 34);
  EXPECT_EQ(k["eager_forwards"], 2);
  EXPECT_EQ(k["graphs"], 14);
  EXPECT_EQ(k["graphs_dropped"], 0);
  EXPECT_EQ(graph.out[1].dit_forwards, 35);
  EXPECT_EQ(graph.out[1].dit_host_reads.total(), 0);
}

TEST(StrategiesCudaTest, CudaGraphStacksWithKvIndexCopyAndVaeStream) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto eager = run_cuda({{"sync_elim", "on"}}, 1);
  const auto all = run_cuda({{"sync_elim", "on"}, {"cuda_graph", "on"}, {"kv_index_copy", "on"},
                             {"sampler_host_tables", "on"}, {"vae_stream", "on"}},
                            2);
  EXPECT_EQ(all.md5[0], eager.md5[0]);
  EXPECT_EQ(all.md5[1], eager.md5[0]);
  EXPECT_GT(all.counters.at("cuda_graph")["replays"].get<int64_t>(), 0);
}

// A graph replays every denoising step of its chunk with t as an input: time_embed_cache must not
// bake one step's cached embedding into it (it did at 14b: another MD5). Captures compute theirs;
// only eager forwards (the first, and each graph's warm-up) use the cache.
TEST(StrategiesCudaTest, TimeEmbedCacheStacksWithCudaGraph) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto eager = run_cuda({{"sync_elim", "on"}}, 1);
  const auto both = run_cuda({{"sync_elim", "on"}, {"cuda_graph", "on"}, {"time_embed_cache", "on"}}, 2);
  EXPECT_EQ(both.md5[0], eager.md5[0]);
  EXPECT_EQ(both.md5[1], eager.md5[0]);
  const auto& k = both.counters.at("time_embed_cache");
  std::cout << "[ time_embed_cache ] counters " << k.dump() << "\n";
  EXPECT_EQ(k["captured"], 14);  // one per capture
  const auto cached = run_cuda({{"sync_elim", "on"}, {"time_embed_cache", "on"}}, 1);
  EXPECT_EQ(cached.md5[0], eager.md5[0]);
  EXPECT_EQ(cached.counters.at("time_embed_cache")["hits"], 30);
}

// camera_cache under cuda_graph: a chunk's filling forward and its reading forwards are captured
// apart (chunk 0's fill is the eager first forward), and the reading graphs read the buffers the
// fill writes in every generate(): 2 + 3 x 6 graphs, the eager bits in both calls.
TEST(StrategiesCudaTest, CameraCacheStacksWithCudaGraph) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto eager = run_cuda({{"sync_elim", "on"}}, 1);
  const auto both = run_cuda({{"sync_elim", "on"}, {"cuda_graph", "on"}, {"camera_cache", "on"}}, 2);
  EXPECT_EQ(both.md5[0], eager.md5[0]);
  EXPECT_EQ(both.md5[1], eager.md5[0]);
  std::cout << "[ camera_cache ] counters " << both.counters.at("camera_cache").dump() << "\n";
  const auto& g = both.counters.at("cuda_graph");
  EXPECT_EQ(g["graphs"], 20);
  EXPECT_EQ(g["captures"], 20);
  EXPECT_EQ(g["replays"], 14 + 34);
  EXPECT_EQ(both.counters.at("camera_cache")["computed"], 0);
  const auto cached = run_cuda({{"sync_elim", "on"}, {"camera_cache", "on"}}, 1);
  EXPECT_EQ(cached.md5[0], eager.md5[0]);
}

TEST(StrategiesCudaTest, VaeStreamOnASideStreamKeepsTheMd5) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto base = run_cuda({}, 1);
  const auto on = run_cuda({{"vae_stream", "on"}}, 2);
  EXPECT_EQ(on.md5[0], base.md5[0]);
  EXPECT_EQ(on.md5[1], base.md5[0]);
  EXPECT_TRUE(torch::equal(on.out[0].video.cpu(), base.out[0].video.cpu()));
  EXPECT_EQ(on.counters.at("vae_stream")["side_stream"], true);
  EXPECT_EQ(on.counters.at("vae_stream")["chunks_decoded_streamed"], 14);
}

// The decode issued from its own host thread, beside cuda_graph's captures (thread-local capture
// mode) and the decoder's own graphs (captured on that thread): same bits, every chunk decoded.
TEST(StrategiesCudaTest, VaeStreamOnItsOwnThreadKeepsTheMd5BesideGraphCaptures) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto base = run_cuda({{"sync_elim", "on"}}, 1);
  const auto threaded = run_cuda({{"sync_elim", "on"}, {"cuda_graph", "on"}, {"vae_stream", "thread"},
                                  {"vae_decode_graph", "on"}},
                                 2);
  EXPECT_EQ(threaded.md5[0], base.md5[0]);
  EXPECT_EQ(threaded.md5[1], base.md5[0]);
  EXPECT_EQ(threaded.counters.at("vae_stream")["own_thread"], true);
  EXPECT_EQ(threaded.counters.at("vae_stream")["chunks_decoded_streamed"], 14);
  EXPECT_EQ(threaded.counters.at("cuda_graph")["captures"], 14);
  EXPECT_GT(threaded.counters.at("vae_decode_graph")["replays"].get<int64_t>(), 0);
}

TEST(StrategiesCudaTest, EncodeFixedPointKeepsTheMd5) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto base = run_cuda({}, 1, 129);
  const auto on = run_cuda({{"vae_encode_fixed_point", "on"}}, 1, 129);
  EXPECT_EQ(on.md5[0], base.md5[0]);
  std::cout << "[ vae_encode_fixed_point ] counters " << on.counters.at("vae_encode_fixed_point").dump() << "\n";
  EXPECT_EQ(on.counters.at("vae_encode_fixed_point")["groups_reused"], 3);
}

}  // namespace strategies_cuda_test
}  // namespace ablate::opt
