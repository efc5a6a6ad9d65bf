#include "optimizations/prewarm.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "core/dit/kv_cache.h"

namespace ablate::opt {

StrategyInfo PrewarmStrategy::info() const {
  StrategyInfo i;
  i.name = "prewarm";
  i.description = "throw-away DiT forward (dit) or whole generate() (full) after build, outside timed work";
  i.values = {"off", "dit", "full"};
  i.affects_build = true;
  return i;
}

void PrewarmStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) {
  if (value == "off") return;
  torch::NoGradGuard no_grad;
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t batch = std::max<int64_t>(1, ctx.batch);
  batch_ = batch;
  if (value == "full") {
    GenerateRequest r = ctx.request;
    r.keep_step_latents = false;
    // a batch's shapes: the same request B times (only the shapes matter)
    forwards_ = pipeline.generate_batch(std::vector<GenerateRequest>(static_cast<size_t>(batch), r)).front().dit_forwards;
  } else {
    // chunk 0's shapes with zero inputs and temporary caches, as WanI2VFast.prewarm()
    const auto g = pipeline.geometry_for(ctx.request);
    const auto& o = pipeline.options();
    const auto& d = o.model.dit;
    const auto dev = o.device;
    dit::KvCacheShape shape;
    shape.num_layers = d.num_layers();
    shape.batch = batch;
    shape.kv_size = g.kv_size;
    shape.heads = d.num_heads();
    shape.local_heads = d.num_heads() / pipeline.world_size();
    shape.head_dim = d.dim() / d.num_heads();
    shape.text_len = d.text_len();
    auto caches = dit::allocate_kv_caches(shape, o.precision.compute, dev);
    auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(dev);
    dit::DitInputs in;
    // one request: [16, f, h, w]; a batch of B: [B, 16, f, h, w] (and [B, ...] context and controls)
    auto lead = [&](std::vector<int64_t> dims) {
      if (batch > 1) dims.insert(dims.begin(), batch);
      return dims;
    };
    in.x = torch::zeros(lead({16, g.chunk_size, g.lat_h, g.lat_w}), f32);
    in.y = torch::zeros(lead({20, g.chunk_size, g.lat_h, g.lat_w}), f32);
    in.plucker = torch::zeros({batch, d.control_dim() * 64, g.chunk_size, g.lat_h, g.lat_w}, f32.dtype(o.precision.param));
    in.context = torch::zeros(lead({d.text_len(), d.text_dim()}), f32.dtype(o.precision.text));
    in.t = torch::full({1}, 500.0, f32);
    dit::ForwardArgs args;
    args.max_attention_size = g.kv_size;
    pipeline.dit()->forward(in, caches, args);
    forwards_ = 1;
  }
  warm_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

nlohmann::json PrewarmStrategy::counters() const { return {{"warm_ms", warm_ms_}, {"warm_forwards", forwards_}, {"warm_batch", batch_}}; }

ABLATE_DEFINE_STRATEGY(prewarm, PrewarmStrategy)

}  // namespace ablate::opt
