// The causal DiT on a tiny model: key names, host-read counts, KV-cache modes, healthy activations.
#include "core/dit/wan_model.h"

#include <gtest/gtest.h>

#include <set>

#include "core/config.h"
#include "core/host_read.h"
#include "core/seeded_init.h"

namespace ablate::dit {
namespace dit_test {

struct TinyDit {
  DitOptions opts;
  WanModel model{nullptr};
  int64_t lat_h = 4, lat_w = 4, chunk = 2, lat_f = 6;
  int64_t frame_seqlen() const { return lat_h * lat_w / 4; }

  TinyDit(int64_t local_attn_size = -1, int64_t sink = 0, uint64_t seed = 7) {
    opts = preset("tiny").dit;
    model = WanModel(opts, local_attn_size, sink);
    init_parameters(*model, seed, dit_init_rule, "dit.");
    model->set_runtime(torch::kCPU, Precision{});
  }

  KvCaches caches(int64_t kv_frames) const {
    KvCacheShape s;
    s.num_layers = opts.num_layers();
    s.kv_size = kv_frames * frame_seqlen();
    s.heads = s.local_heads = opts.num_heads();
    s.head_dim = opts.dim() / opts.num_heads();
    s.text_len = opts.text_len();
    return allocate_kv_caches(s, torch::kFloat, torch::kCPU);
  }

  DitInputs inputs(int64_t c, uint64_t salt = 0) const {
    torch::manual_seed(100 + c + salt);
    DitInputs in;
    in.x = torch::randn({16, chunk, lat_h, lat_w});
    in.y = torch::randn({20, chunk, lat_h, lat_w});
    in.t = torch::tensor({999}, torch::kLong);
    in.context = torch::randn({5, opts.text_dim()});
    in.plucker = torch::randn({1, 384, chunk, lat_h, lat_w});
    return in;
  }

  // Runs every chunk once; returns the outputs.
  std::vector<torch::Tensor> run(KvCaches& caches, int64_t kv_frames) {
    std::vector<torch::Tensor> outs;
    for (int64_t c = 0; c < lat_f / chunk; ++c) {
      ForwardArgs args;
      args.current_start = c * chunk * frame_seqlen();
      args.max_attention_size = kv_frames * frame_seqlen();
      outs.push_back(model->forward(inputs(c), caches, args));
    }
    return outs;
  }
};

TEST(DitTest, KeyNamesMatchTheReference) {
  TinyDit dit;
  std::set<std::string> names;
  for (const auto& p : dit.model->named_parameters()) names.insert(p.key());
  for (const char* key : {"patch_embedding.weight", "patch_embedding.bias", "patch_embedding_wancamctrl.weight",
                          "c2ws_hidden_states_layer1.weight", "c2ws_hidden_states_layer2.bias",
                          "text_embedding.0.weight", "text_embedding.2.weight", "time_embedding.0.weight",
                          "time_embedding.2.bias", "time_projection.1.weight", "blocks.0.self_attn.q.weight",
                          "blocks.0.self_attn.norm_q.weight", "blocks.0.self_attn.norm_k.weight",
                          "blocks.0.norm3.weight", "blocks.0.norm3.bias", "blocks.0.cross_attn.o.bias",
                          "blocks.0.ffn.0.weight", "blocks.0.ffn.2.bias", "blocks.0.modulation",
                          "blocks.2.cam_injector_layer1.weight", "blocks.2.cam_injector_layer2.weight",
                          "blocks.2.cam_scale_layer.weight", "blocks.2.cam_shift_layer.bias",
                          "head.head.weight", "head.modulation"}) {
    EXPECT_TRUE(names.count(key)) << "missing " << key;
  }
  EXPECT_FALSE(names.count("blocks.0.norm1.weight"));  // norm1/norm2 carry no parameters
  EXPECT_EQ(dit.model->named_parameters()["blocks.0.modulation"].sizes(), torch::IntArrayRef({1, 6, 64}));
}

// The reference's reads: 3 per block per forward, and its time embedding's host arange copied to the
// device once per forward (model.py sinusoidal_embedding_1d).
TEST(DitTest, ThreeDeviceReadsPerBlockAndOneFrequencyCopyPerForward) {
  TinyDit dit;
  auto caches = dit.caches(dit.lat_f);
  const auto before = host_read_stats();
  dit.run(caches, dit.lat_f);
  const auto d = host_read_stats() - before;
  const int64_t forwards = dit.lat_f / dit.chunk, blocks = dit.opts.num_layers();
  EXPECT_EQ(d.syncs(), (3 * blocks + 1) * forwards);
  EXPECT_EQ(d.of(HostReadSite::kTimeFrequencies), forwards);
  EXPECT_EQ(d.of(HostReadSite::kCrossAttnIsInit), blocks * forwards);
  EXPECT_EQ(d.of(HostReadSite::kKvLocalEnd), blocks * forwards);
  EXPECT_EQ(d.of(HostReadSite::kKvGlobalEnd), blocks * forwards);
}

TEST(DitTest, HostSuppliedMetadataReadsNothingAndIsBitIdentical) {
  TinyDit dit;
  auto base_caches = dit.caches(dit.lat_f);
  auto base = dit.run(base_caches, dit.lat_f);
  auto caches = dit.caches(dit.lat_f);
  const auto before = host_read_stats();
  for (int64_t c = 0; c < dit.lat_f / dit.chunk; ++c) {
    ForwardArgs args;
    args.current_start = c * dit.chunk * dit.frame_seqlen();
    args.max_attention_size = dit.lat_f * dit.frame_seqlen();
    args.frame_seqlen = dit.frame_seqlen();
    args.cross_attn_first_call = c == 0;
    args.host_kv_indices = true;
    args.device_time_frequencies = true;
    args.kv_write_index = torch::arange(args.current_start, args.current_start + dit.chunk * dit.frame_seqlen());
    EXPECT_TRUE(torch::equal(dit.model->forward(dit.inputs(c), caches, args), base[c])) << "chunk " << c;
  }
  EXPECT_EQ((host_read_stats() - before).total(), 0);
}

TEST(DitTest, SlidingWindowCoveringTheVideoEqualsGlobal) {
  TinyDit global, sliding(/*local_attn_size=*/6);
  auto gc = global.caches(global.lat_f);
  auto sc = sliding.caches(6);
  auto a = global.run(gc, global.lat_f);
  auto b = sliding.run(sc, 6);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "chunk " << i;
}

TEST(DitTest, SlidingWindowEvictsAllButSinkAndRecentFrames) {
  // window 4 frames with 1 sink frame, chunks of 2 frames, 3 chunks
  TinyDit global, sliding(/*local_attn_size=*/4, /*sink=*/1);
  auto gc = global.caches(global.lat_f);
  auto sc = sliding.caches(4);
  auto a = global.run(gc, global.lat_f);
  auto b = sliding.run(sc, 4);
  EXPECT_TRUE(torch::equal(a[0], b[0]));   // nothing evicted yet
  EXPECT_TRUE(torch::equal(a[1], b[1]));
  EXPECT_FALSE(torch::equal(a[2], b[2]));  // chunk 2 no longer sees frame 1
  // block 0's keys depend only on the chunk input, so its cache can be compared token by token:
  // sliding = [frame 0 (sink), frame 3, frames 4-5] of the global cache
  const int64_t fs = global.frame_seqlen();
  auto gk = gc.self[0].k, sk = sc.self[0].k;
  EXPECT_TRUE(torch::equal(sk.slice(1, 0, fs), gk.slice(1, 0, fs)));
  EXPECT_TRUE(torch::equal(sk.slice(1, fs, 4 * fs), gk.slice(1, 3 * fs, 6 * fs)));
  EXPECT_EQ(sc.self[0].local_end_index.item<int64_t>(), 4 * fs);
  EXPECT_EQ(sc.self[0].global_end_index.item<int64_t>(), 6 * fs);
}

TEST(DitTest, OutputFiniteAndDeterministicAcrossConstruction) {
  TinyDit a, b;
  auto ca = a.caches(a.lat_f), cb = b.caches(b.lat_f);
  auto oa = a.run(ca, a.lat_f), ob = b.run(cb, b.lat_f);
  for (size_t i = 0; i < oa.size(); ++i) {
    EXPECT_TRUE(torch::equal(oa[i], ob[i]));
    EXPECT_TRUE(torch::isfinite(oa[i]).all().item<bool>());
    const double std = oa[i].std().item<double>();
    EXPECT_GT(std, 0.1);
    EXPECT_LT(std, 10.0);
  }
  TinyDit other(-1, 0, /*seed=*/8);
  auto co = other.caches(other.lat_f);
  EXPECT_FALSE(torch::equal(other.run(co, other.lat_f)[0], oa[0]));
}

TEST(DitTest, ActionModeControlDim7TakesSevenChannelRays) {
  // 'act': rays_d + W, A, S, D per pixel -> 7 * 64 = 448 channels, patch_embedding_wancamctrl 1792 wide
  DitOptions opts = preset("tiny").dit;
  opts.control_dim(7);
  WanModel model(opts, -1, 0);
  init_parameters(*model, 7, dit_init_rule, "dit.");
  model->set_runtime(torch::kCPU, Precision{});
  EXPECT_EQ(model->named_parameters()["patch_embedding_wancamctrl.weight"].sizes(), torch::IntArrayRef({64, 1792}));
  TinyDit cam;
  auto in = cam.inputs(0);
  in.plucker = torch::randn({1, 448, cam.chunk, cam.lat_h, cam.lat_w});
  KvCaches caches = cam.caches(cam.lat_f);
  ForwardArgs args;
  args.max_attention_size = cam.lat_f * cam.frame_seqlen();
  const auto out = model->forward(in, caches, args);
  EXPECT_EQ(out.sizes(), in.x.sizes());
  EXPECT_TRUE(torch::isfinite(out).all().item<bool>());
  // the camera DiT refuses them, naming both sizes
  try {
    cam.model->forward(in, caches, args);
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("the control input has 448 channels; a DiT built with control_dim 6 takes 384"),
              std::string::npos) << e.what();
  }
}

TEST(DitTest, ActivationsHealthyAtEveryLayerOfThePresetStructures) {
  // 1.3b and 14b depth and head width (128) at reduced model width: 2 heads, ffn at the preset's ratio
  for (const char* name : {"1.3b", "14b"}) {
    DitOptions o = preset(name).dit;
    const double ffn_ratio = static_cast<double>(o.ffn_dim()) / static_cast<double>(o.dim());
    o.num_heads(2).dim(256).ffn_dim(static_cast<int64_t>(256 * ffn_ratio)).text_dim(32);
    WanModel model(o, -1, 0);
    init_parameters(*model, 3, dit_init_rule, "dit.");
    model->set_runtime(torch::kCPU, Precision{});
    std::vector<double> stds;
    model->block_observer = [&](int64_t, const torch::Tensor& x) {
      EXPECT_TRUE(torch::isfinite(x).all().item<bool>()) << name;
      stds.push_back(x.std().item<double>());
    };
    KvCacheShape s;
    s.num_layers = o.num_layers();
    s.kv_size = 2 * 4;
    s.heads = s.local_heads = 2;
    s.head_dim = 128;
    s.text_len = o.text_len();
    auto caches = allocate_kv_caches(s, torch::kFloat, torch::kCPU);
    torch::manual_seed(1);
    DitInputs in;
    in.x = torch::randn({16, 2, 4, 4});
    in.y = torch::randn({20, 2, 4, 4});
    in.t = torch::tensor({999}, torch::kLong);
    in.context = torch::randn({7, 32});
    in.plucker = torch::randn({1, 384, 2, 4, 4});
    ForwardArgs args;
    args.max_attention_size = 8;
    auto v = model->forward(in, caches, args);
    ASSERT_EQ(static_cast<int64_t>(stds.size()), o.num_layers()) << name;
    for (size_t i = 0; i < stds.size(); ++i) {
      EXPECT_GT(stds[i], 0.1) << name << " block " << i;
      EXPECT_LT(stds[i], 100.0) << name << " block " << i;
    }
    EXPECT_TRUE(torch::isfinite(v).all().item<bool>());
    EXPECT_GT(v.std().item<double>(), 0.1) << name;
    EXPECT_LT(v.std().item<double>(), 10.0) << name;
  }
}

// A batch of two requests (their own latents, timesteps, contexts of different lengths, cameras)
// through one forward per chunk with [2, ...] caches: each request's flow prediction is its
// forward alone, to the rounding of GEMMs with twice the rows (declared: 1e-4 absolute).
TEST(DitTest, BatchedForwardGivesEachRequestsOwnForward) {
  TinyDit dit;
  const int64_t kv_frames = dit.lat_f;
  auto request_input = [&](int64_t c, int64_t b) {
    auto in = dit.inputs(c, 10 * static_cast<uint64_t>(b));
    in.t = torch::tensor({b == 0 ? 999 : 500}, torch::kLong);
    if (b == 1) in.context = torch::randn({7, dit.opts.text_dim()});
    return in;
  };
  auto padded = [&](const torch::Tensor& context) {
    return torch::cat({context, context.new_zeros({dit.opts.text_len() - context.size(0), context.size(1)})});
  };
  std::vector<KvCaches> alone{dit.caches(kv_frames), dit.caches(kv_frames)};
  KvCacheShape shape;
  shape.num_layers = dit.opts.num_layers();
  shape.batch = 2;
  shape.kv_size = kv_frames * dit.frame_seqlen();
  shape.heads = shape.local_heads = dit.opts.num_heads();
  shape.head_dim = dit.opts.dim() / dit.opts.num_heads();
  shape.text_len = dit.opts.text_len();
  auto batched_caches = allocate_kv_caches(shape, torch::kFloat, torch::kCPU);
  for (int64_t c = 0; c < dit.lat_f / dit.chunk; ++c) {
    ForwardArgs args;
    args.current_start = c * dit.chunk * dit.frame_seqlen();
    args.max_attention_size = kv_frames * dit.frame_seqlen();
    const DitInputs a = request_input(c, 0), b = request_input(c, 1);
    DitInputs in;
    in.x = torch::stack({a.x, b.x});
    in.y = torch::stack({a.y, b.y});
    in.t = torch::cat({a.t, b.t});
    in.context = torch::stack({padded(a.context), padded(b.context)});
    in.plucker = torch::cat({a.plucker, b.plucker});
    ASSERT_TRUE(in.batched());
    const auto v = dit.model->forward(in, batched_caches, args);
    ASSERT_EQ(v.sizes(), torch::IntArrayRef({2, 16, dit.chunk, dit.lat_h, dit.lat_w}));
    const auto va = dit.model->forward(a, alone[0], args), vb = dit.model->forward(b, alone[1], args);
    EXPECT_LE((v[0] - va).abs().max().item<double>(), 1e-4) << "chunk " << c;
    EXPECT_LE((v[1] - vb).abs().max().item<double>(), 1e-4) << "chunk " << c;
    EXPECT_GT((v[0] - vb).abs().max().item<double>(), 1e-2) << "the requests differ";
  }
  // each request's rows of the caches hold what its own caches hold
  EXPECT_LE((batched_caches.self[0].k[1] - alone[1].self[0].k[0]).abs().max().item<double>(), 1e-4);
  EXPECT_LE((batched_caches.cross[0].v[0] - alone[0].cross[0].v[0]).abs().max().item<double>(), 1e-4);
}

}  // namespace dit_test
}  // namespace ablate::dit
