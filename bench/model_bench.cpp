#include "bench/model_bench.h"

#include <memory>

#include "core/config.h"
#include "core/dit/attention_block.h"
#include "core/dit/kv_cache.h"
#include "core/dit/rope.h"
#include "core/dit/self_attention.h"
#include "core/geometry.h"
#include "core/pipeline.h"

namespace ablate::bench {
namespace {

struct ModelFixture {
  BenchOptions options;
  torch::Device device = torch::kCPU;
  std::unique_ptr<Pipeline> pipeline;
  VideoGeometry geometry;  // the preset's default video
};

ModelFixture& fixture() {
  static ModelFixture f;
  return f;
}

// One chunk through block 0, with the KV cache of a full video (as the last chunk sees it).
void dit_block(benchmark::State& state) {
  auto& f = fixture();
  torch::NoGradGuard no_grad;
  const auto& g = f.geometry;
  const auto& dopt = f.pipeline->options().model.dit;
  const auto compute = f.pipeline->options().precision.compute;
  const int64_t tokens = g.tokens_per_chunk, dim = dopt.dim(), heads = dopt.num_heads();
  dit::KvCacheShape shape;
  shape.num_layers = 1;
  shape.kv_size = g.kv_size;
  shape.heads = shape.local_heads = heads;
  shape.head_dim = dim / heads;
  shape.text_len = dopt.text_len();
  auto caches = dit::allocate_kv_caches(shape, compute, f.device);
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(f.device);
  dit::ForwardArgs args;
  args.current_start = (g.num_chunks - 1) * tokens;
  args.max_attention_size = g.kv_size;
  dit::BlockContext ctx;
  ctx.grid = {g.chunk_size, g.lat_h / 2, g.lat_w / 2};
  ctx.grid_sizes = torch::tensor({ctx.grid[0], ctx.grid[1], ctx.grid[2]}, torch::kLong).view({1, 3});
  ctx.seq_lens = torch::tensor({tokens}, torch::kLong);
  ctx.freqs = dit::rope_table(dim / heads).to(f.device);
  ctx.e0 = torch::randn({1, tokens, 6, dim}, f32) * 0.1;
  ctx.context = torch::randn({1, dopt.text_len(), dim}, f32).to(compute);
  ctx.cam = (torch::randn({1, tokens, dim}, f32) * 0.1).to(compute);
  ctx.compute = compute;
  ctx.args = &args;
  ctx.tokens = ctx.padded_tokens = tokens;
  auto* block = f.pipeline->dit()->blocks[0]->as<dit::AttentionBlockImpl>();
  const auto x = torch::randn({1, tokens, dim}, f32).to(compute);
  auto clock = make_event_clock(f.device);
  block->forward(x, ctx, caches.self[0], caches.cross[0]);  // fills the cross-attention cache
  for (auto _ : state) time_iteration(state, clock.get(), [&] { block->forward(x, ctx, caches.self[0], caches.cross[0]); });
  state.counters["tokens"] = static_cast<double>(tokens);
}

// softmax(q k^T) v for one chunk's queries against kv_frames latent frames of keys.
void attention(benchmark::State& state) {
  auto& f = fixture();
  torch::NoGradGuard no_grad;
  const auto& dopt = f.pipeline->options().model.dit;
  const auto compute = f.pipeline->options().precision.compute;
  const int64_t heads = dopt.num_heads(), d = dopt.dim() / heads;
  const int64_t kv = state.range(0) * f.geometry.frame_seqlen;
  const auto opts = torch::TensorOptions().dtype(compute).device(f.device);
  const auto q = torch::randn({1, f.geometry.tokens_per_chunk, heads, d}, opts);
  const auto k = torch::randn({1, kv, heads, d}, opts), v = torch::randn({1, kv, heads, d}, opts);
  auto clock = make_event_clock(f.device);
  dit::attention_blhd(q, k, v);
  for (auto _ : state) time_iteration(state, clock.get(), [&] { dit::attention_blhd(q, k, v); });
  state.counters["kv_tokens"] = static_cast<double>(kv);
}

void vae_decode_frame(benchmark::State& state) {
  auto& f = fixture();
  torch::NoGradGuard no_grad;
  const auto latent = torch::randn({16, 1, f.geometry.lat_h, f.geometry.lat_w},
                                   torch::TensorOptions().dtype(torch::kFloat).device(f.device));
  auto clock = make_event_clock(f.device);
  f.pipeline->vae()->decode(latent);
  for (auto _ : state) time_iteration(state, clock.get(), [&] { f.pipeline->vae()->decode(latent); });
}

void text_encode(benchmark::State& state) {
  auto& f = fixture();
  const std::string prompt = GenerateRequest{}.prompt;
  auto clock = make_event_clock(f.device);
  f.pipeline->text_encoder().encode(prompt);
  for (auto _ : state) time_iteration(state, clock.get(), [&] { f.pipeline->text_encoder().encode(prompt); });
}

}  // namespace

void register_model_benchmarks(const BenchOptions& o) {
  auto& f = fixture();
  f.options = o;
  f.device = torch::Device(o.device);
  PipelineOptions popts;
  popts.model = preset(o.preset);
  popts.device = f.device;
  popts.precision = Precision::for_name(o.dtype.empty() ? (f.device.is_cuda() ? "bf16" : "fp32") : o.dtype);
  f.pipeline = std::make_unique<Pipeline>(popts);
  GenerateRequest request;
  request.geometry.size = popts.model.default_size;
  f.geometry = f.pipeline->geometry_for(request);

  const std::string suffix = "/" + o.preset;
  benchmark::RegisterBenchmark(("dit_block" + suffix).c_str(), dit_block)->UseManualTime()->Unit(benchmark::kMillisecond);
  auto* attn = benchmark::RegisterBenchmark(("attention" + suffix).c_str(), attention)
                   ->ArgName("kv_frames")->UseManualTime()->Unit(benchmark::kMillisecond);
  std::vector<int64_t> frames = o.kv_frames;
  if (frames.empty()) frames = {f.geometry.chunk_size, f.geometry.kv_size / f.geometry.frame_seqlen};
  for (int64_t n : frames) attn->Arg(n);
  benchmark::RegisterBenchmark(("vae_decode_frame" + suffix).c_str(), vae_decode_frame)
      ->UseManualTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark(("text_encode" + suffix).c_str(), text_encode)->UseManualTime()->Unit(benchmark::kMillisecond);
}

}  // namespace ablate::bench
