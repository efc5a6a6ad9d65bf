// vae_stream, vae_encode_fixed_point and cuda_graph on the CPU (tiny preset): the first two ON vs
// OFF keep the video MD5 and count what they did; cuda_graph's validate() reasons, and the core
// seams it stands on (forward execution, kept KV caches) keep the MD5 too.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/video_hash.h"
#include "optimizations/cuda_graph.h"
#include "optimizations/registry.h"
#include "optimizations/vae_encode_fixed_point.h"
#include "profiling/phase_timer.h"

namespace ablate::opt {
namespace strategies_stream_test {

struct Case {
  int64_t frames = 81;
  int64_t height = 32, width = 32;  // small: bit-identity does not need the preset's 64x64
  int64_t local_attn_size = -1, sink_size = 0;
  int generates = 1;
};

struct Result {
  std::vector<std::string> md5;
  std::vector<GenerateOutput> out;
  nlohmann::json counters;  // of the last strategy in `values` order (std::map: by name)
  std::map<std::string, nlohmann::json> all_counters;
};

Result run_case(const std::map<std::string, std::string>& values, const Case& c,
                const std::function<void(Pipeline&)>& extra = nullptr, PhaseHooks* hooks = nullptr) {
  PipelineOptions o;
  o.model = preset("tiny");
  o.local_attn_size = c.local_attn_size;
  o.sink_size = c.sink_size;
  RunConfig config;
  config.values = values;
  std::vector<std::pair<std::string, std::unique_ptr<Strategy>>> strategies;
  for (const auto& [name, value] : values) {
    auto s = make_strategy(name);
    EXPECT_EQ(s->validate(value, config), "") << name;
    s->configure(value, o);
    strategies.emplace_back(name, std::move(s));
  }
  Pipeline p(o);
  GenerateRequest r;
  r.geometry.frames = c.frames;
  r.geometry.height = c.height;
  r.geometry.width = c.width;
  for (auto& [name, s] : strategies) s->install(values.at(name), p, InstallContext{r});
  if (extra) extra(p);
  Result res;
  for (int k = 0; k < c.generates; ++k) {
    auto out = p.generate(r, hooks);
    res.md5.push_back(tensor_md5(video_to_uint8(out.video)));
    res.out.push_back(out);
  }
  for (auto& [name, s] : strategies) res.all_counters[name] = s->counters();
  if (!strategies.empty()) res.counters = strategies.back().second->counters();
  return res;
}

bool same_bits(const torch::Tensor& a, const torch::Tensor& b) { return torch::equal(a, b); }

// --- vae_stream -----------------------------------------------------------------------------

// vae_stream=`value` against the decode at the end (81 frames: 7 chunks): the same bits, every chunk
// decoded. Returns the strategy's counters and how many times each phase was timed.
std::pair<nlohmann::json, std::map<std::string, int>> expect_streamed_like_off(const std::string& value) {
  const Case c;
  const auto off = run_case({}, c);
  PhaseTimer timer(torch::kCPU);
  const auto on = run_case({{"vae_stream", value}}, c, nullptr, &timer);
  EXPECT_EQ(on.md5[0], off.md5[0]);
  EXPECT_TRUE(same_bits(on.out[0].video, off.out[0].video));
  EXPECT_TRUE(same_bits(on.out[0].latents, off.out[0].latents));
  EXPECT_EQ(on.out[0].video.sizes(), off.out[0].video.sizes());
  EXPECT_EQ(on.counters["chunks_decoded_streamed"], 7);
  std::map<std::string, int> labels;
  for (const auto& t : timer.finish()) ++labels[t.label()];
  return {on.counters, labels};
}

TEST(StrategiesStreamTest, VaeStreamIsBitIdenticalAndCountsChunks) {
  const auto [counters, labels] = expect_streamed_like_off("on");
  EXPECT_EQ(counters["side_stream"], false);  // CPU: inline
  EXPECT_EQ(counters["own_thread"], false);
  // one decode phase per chunk, plus the tail (join + concat)
  for (int i = 0; i < 7; ++i) EXPECT_EQ(labels.count("vae_decode[" + std::to_string(i) + "]"), 1u) << i;
  EXPECT_EQ(labels.count("vae_decode"), 1u);
}

TEST(StrategiesStreamTest, VaeStreamOnItsOwnThreadIsBitIdenticalAndTimesEveryChunk) {
  const auto [counters, labels] = expect_streamed_like_off("thread");
  EXPECT_EQ(counters["own_thread"], true);
  // the decode's phases were opened on its thread while the chunks' were open on this one: each
  // thread's nest, and every one is timed once
  for (int i = 0; i < 7; ++i) {
    EXPECT_EQ(labels.at("vae_decode[" + std::to_string(i) + "]"), 1) << i;
    EXPECT_EQ(labels.at("chunk[" + std::to_string(i) + "]"), 1) << i;
  }
  EXPECT_EQ(labels.at("vae_decode"), 1);
  EXPECT_EQ(labels.at("generate"), 1);
  // the autotuner's process-wide switch would reach the DiT from the decode's thread
  RunConfig config;
  config.values = {{"vae_stream", "thread"}, {"cudnn_benchmark", "on"}};
  const auto s = make_strategy("vae_stream");
  EXPECT_NE(s->validate("thread", config).find("cannot run with cudnn_benchmark"), std::string::npos);
  EXPECT_EQ(s->validate("on", config), "");
}

TEST(StrategiesStreamTest, VaeStreamIsBitIdenticalWithASlidingWindow) {
  Case c;
  c.local_attn_size = 6;
  c.sink_size = 3;
  const auto off = run_case({}, c);
  const auto on = run_case({{"vae_stream", "on"}}, c);
  EXPECT_EQ(on.md5[0], off.md5[0]);
  EXPECT_TRUE(same_bits(on.out[0].video, off.out[0].video));
  EXPECT_EQ(on.counters["chunks_decoded_streamed"], 7);
}

TEST(StrategiesStreamTest, WindowedDecodeSessionMatchesOneShotDecode) {
  PipelineOptions o;
  o.model = preset("tiny");
  auto v = vae::WanVae(o.model.vae);
  init_parameters(*v, 3, vae::vae_init_rule, "vae.");
  v->eval();
  const auto latent = torch::randn({16, 9, 4, 4});
  const auto whole = v->decode(latent);
  vae::DecodeSession s(*v, nullptr, 9);
  std::vector<torch::Tensor> parts;
  for (int64_t i = 0; i < 9; i += 3) parts.push_back(s.push(latent.slice(1, i, i + 3)));
  EXPECT_TRUE(same_bits(torch::cat(parts, 1), whole));
  EXPECT_THROW(s.push(latent.slice(1, 0, 1)), c10::Error);  // past the declared total
}

// --- vae_encode_fixed_point -------------------------------------------------------------------

// The tiny VAE's caches settle at zero group 29 (tests/vae_test.cpp: structural, the same at full
// scale): the cache before latent group 30 equals the one before group 29, so a video needs more
// than 30 latent frames for any reuse. 129 frames = 33 latent frames: groups 30, 31, 32 reused.
TEST(StrategiesStreamTest, EncodeFixedPointReusesGroupsBitIdentically) {
  Case c;
  c.frames = 129;
  c.height = c.width = 32;
  const auto off = run_case({}, c);
  const auto on = run_case({{"vae_encode_fixed_point", "on"}}, c);
  ASSERT_EQ(on.out[0].geometry.lat_f, 33);
  EXPECT_EQ(on.md5[0], off.md5[0]);
  EXPECT_TRUE(same_bits(on.out[0].latents, off.out[0].latents));
  const auto& k = on.counters;
  EXPECT_EQ(k["groups_reused"], 3);
  EXPECT_EQ(k["groups_encoded"], 30);  // the image and zero groups 1..29
  EXPECT_EQ(k["fixed_point_group"], 30);
  EXPECT_EQ(k["encodes_at_fixed_point"], 1);
  EXPECT_EQ(k["cache_comparisons"], 29);  // groups 2..30 (groups 31, 32 follow a reused one)
  // one counted read per comparison that gets to the bits, outside the DiT (group 2's differs in
  // cache shapes already: after the image group the causal caches hold 1 frame, later 2)
  EXPECT_EQ(on.out[0].host_reads.of(HostReadSite::kOther) - off.out[0].host_reads.of(HostReadSite::kOther), 28);
}

TEST(StrategiesStreamTest, EncodeFixedPointNeverTriggersAt81Or117Frames) {
  for (int64_t frames : {81, 117}) {  // 21 and 30 latent frames: the fixed point is not reached
    Case c;
    c.frames = frames;
    c.height = c.width = 32;
    const auto off = run_case({}, c);
    const auto on = run_case({{"vae_encode_fixed_point", "on"}}, c);
    EXPECT_EQ(on.md5[0], off.md5[0]) << frames;
    EXPECT_EQ(on.counters["groups_reused"], 0) << frames;
    EXPECT_EQ(on.counters["fixed_point_group"], -1) << frames;
    EXPECT_EQ(on.counters["groups_encoded"], on.out[0].geometry.lat_f) << frames;
  }
}

TEST(StrategiesStreamTest, EncodeFixedPointCountsPerGenerateAndStacksWithVaeStream) {
  Case c;
  c.frames = 141;  // 36 latent frames: groups 30..35 reused
  c.height = c.width = 32;
  c.generates = 2;
  const auto off = run_case({}, c);
  const auto on = run_case({{"vae_encode_fixed_point", "on"}, {"vae_stream", "on"}}, c);
  EXPECT_EQ(on.md5[0], off.md5[0]);
  EXPECT_EQ(on.md5[1], off.md5[0]);
  const auto& k = on.all_counters.at("vae_encode_fixed_point");
  EXPECT_EQ(k["groups_reused"], 2 * 6);
  EXPECT_EQ(k["encodes"], 2);
  EXPECT_EQ(k["encodes_at_fixed_point"], 2);
  EXPECT_EQ(on.all_counters.at("vae_stream")["chunks_decoded_streamed"], 2 * 12);
}

TEST(StrategiesStreamTest, FeatureCacheComparisonIsBitwise) {
  using State = vae::CacheSlot::State;
  auto slot = [](State s, torch::Tensor t) { return vae::CacheSlot{s, t}; };
  const auto a = torch::zeros({1, 2, 2, 3, 3});
  const auto b = a.clone();
  EXPECT_TRUE(feature_caches_bitwise_equal({slot(State::kTensor, a), slot(State::kRep, {})},
                                           {slot(State::kTensor, b), slot(State::kRep, {})}));
  EXPECT_FALSE(feature_caches_bitwise_equal({slot(State::kTensor, a)}, {slot(State::kTensor, -b)}));  // -0.0
  EXPECT_FALSE(feature_caches_bitwise_equal({slot(State::kRep, {})}, {slot(State::kEmpty, {})}));
  EXPECT_FALSE(feature_caches_bitwise_equal({slot(State::kTensor, a)}, {slot(State::kTensor, a.slice(2, 0, 1))}));
  EXPECT_FALSE(feature_caches_bitwise_equal({slot(State::kTensor, a)}, {}));
}

// --- cuda_graph (CPU: reasons and the seams it uses) ------------------------------------------

TEST(StrategiesStreamTest, CudaGraphValidateGivesReasons) {
  auto s = make_strategy("cuda_graph");
  RunConfig cpu;
  cpu.values = {{"sync_elim", "on"}};
  EXPECT_EQ(s->validate("on", cpu), "cuda_graph needs a CUDA device");
  EXPECT_EQ(s->validate("off", cpu), "");
  RunConfig gpu;
  gpu.device = torch::Device(torch::kCUDA, 0);
  EXPECT_EQ(s->validate("on", gpu), "cuda_graph requires sync_elim=on (host syncs cannot be captured)");
  gpu.values = {{"sync_elim", "on"}};
  EXPECT_EQ(s->validate("on", gpu), "");
  gpu.world_size = 2;
  EXPECT_NE(s->validate("on", gpu), "");
  PipelineOptions o;
  s->configure("on", o);
  EXPECT_TRUE(o.keep_kv_caches);
}

// The forward-execution seam, as cuda_graph uses it but eager: same MD5; one key per chunk for
// the denoising forwards (t int64) and one for the refresh (t float32); the first forward eager.
TEST(StrategiesStreamTest, ForwardExecutionSeamAndGraphKeys) {
  std::vector<std::string> keys, reasons;
  auto seam = [&](Pipeline& p) {
    p.seams().execute_forward = [&](const ForwardCall& call) {
      keys.push_back(forward_graph_key(call));
      reasons.push_back(forward_graph_eager_reason(call));
      return call.run(call.inputs);
    };
  };
  Case c;
  c.generates = 2;
  const auto base = run_case({{"sync_elim", "on"}}, Case{});
  const auto kept = run_case({{"sync_elim", "on"}}, c, seam);
  EXPECT_EQ(kept.md5[0], base.md5[0]);
  EXPECT_EQ(kept.md5[1], base.md5[0]);
  ASSERT_EQ(keys.size(), 70u);
  EXPECT_EQ(reasons[0], "fills the cross-attention cache");
  EXPECT_EQ(reasons[35], "fills the cross-attention cache");
  for (size_t i = 1; i < 35; ++i) EXPECT_EQ(reasons[i], "") << i;
  std::set<std::string> distinct(keys.begin() + 1, keys.begin() + 35);
  EXPECT_EQ(distinct.size(), 14u);  // 7 chunks x (denoise, refresh)
  EXPECT_EQ(keys[1], keys[2]);      // chunk 0, steps 1 and 2
  EXPECT_NE(keys[3], keys[4]);      // chunk 0 step 3 vs its refresh
  EXPECT_NE(keys[1], keys[6]);      // chunk 0 vs chunk 1
}

// A forward that would copy the time embedding's table from the host (the reference's blocking
// copy) is not capturable: with every other sync_elim hint present, that is the reason given.
TEST(StrategiesStreamTest, TheTimeEmbeddingsHostCopyKeepsAForwardEager) {
  std::vector<std::string> reasons;
  auto seam = [&](Pipeline& p) {
    chain_forward_hints(p.seams(), [](dit::ForwardArgs& a, const ForwardSite&) { a.device_time_frequencies = false; });
    p.seams().execute_forward = [&](const ForwardCall& call) {
      reasons.push_back(forward_graph_eager_reason(call));
      return call.run(call.inputs);
    };
  };
  run_case({{"sync_elim", "on"}}, Case{}, seam);
  ASSERT_EQ(reasons.size(), 35u);
  EXPECT_EQ(reasons[1], "copies the time embedding's frequency table from the host (no sync_elim hints)");
}

TEST(StrategiesStreamTest, KeptKvCachesKeepTheirStorageAndTheMd5) {
  std::vector<const void*> kv_at;
  PipelineOptions o;
  o.model = preset("tiny");
  o.keep_kv_caches = true;
  Pipeline p(o);
  p.seams().execute_forward = [&](const ForwardCall& call) {
    kv_at.push_back(call.caches.self.front().k.data_ptr());
    return call.run(call.inputs);
  };
  GenerateRequest r;
  r.geometry.height = r.geometry.width = Case{}.height;
  const auto base = run_case({}, Case{});
  const auto a = p.generate(r);
  const auto b = p.generate(r);
  EXPECT_EQ(tensor_md5(video_to_uint8(a.video)), base.md5[0]);
  EXPECT_EQ(tensor_md5(video_to_uint8(b.video)), base.md5[0]);
  ASSERT_EQ(kv_at.size(), 70u);
  EXPECT_EQ(kv_at.front(), kv_at.back());
  // the strategy on the CPU (install after a forced configure): no graphs, forwards stay eager
  auto s = make_strategy("cuda_graph");
  s->install("on", p, InstallContext{r});
  EXPECT_EQ(tensor_md5(video_to_uint8(p.generate(r).video)), base.md5[0]);
  EXPECT_EQ(s->counters()["replays"], 0);
}

}  // namespace strategies_stream_test
}  // namespace ablate::opt
