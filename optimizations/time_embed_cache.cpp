#include "optimizations/time_embed_cache.h"

#include "core/cuda_device.h"

namespace ablate::opt {

StrategyInfo TimeEmbedCacheStrategy::info() const {
  StrategyInfo i;
  i.name = "time_embed_cache";
  i.description = "DiT time embedding computed once per timestep and shape, reused by later chunks (same GEMMs, same bits)";
  i.values = {"off", "on"};
  return i;
}

void TimeEmbedCacheStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  cache_.clear();  // a rebuilt engine (persistent=per_request) computes its own
  const torch::Device device = pipeline.options().device;
  chain_forward_hints(pipeline.seams(), [this, device](dit::ForwardArgs& args, const ForwardSite& site) {
    // the sampler's timestep of this step is the same in every chunk (a pipeline's schedule is fixed)
    args.time_embedding = [this, device, step = site.step, refresh = site.refresh](
                              int64_t batch, int64_t tokens,
                              const std::function<dit::ForwardArgs::TimeEmbedding()>& compute) {
      // inside a graph capture: computed from t, never looked up or stored. A graph serves every
      // step of its chunk with t as an input, so a cached embedding would be baked into it (one
      // step's values for all four), and what is computed exists only once the graph is replayed.
      if (stream_is_capturing(device)) {
        ++captured_;
        return compute();
      }
      const Key key{step, refresh, batch, tokens};
      auto it = cache_.find(key);
      if (it != cache_.end()) {
        ++hits_;
        return it->second;
      }
      ++misses_;
      auto computed = compute();
      bytes_ += static_cast<int64_t>(computed.first.nbytes() + computed.second.nbytes());
      cache_.emplace(key, computed);
      return computed;
    };
  });
}

nlohmann::json TimeEmbedCacheStrategy::counters() const {
  return {{"hits", hits_}, {"misses", misses_}, {"captured", captured_}, {"entries", cache_.size()}, {"bytes", bytes_}};
}

ABLATE_DEFINE_STRATEGY(time_embed_cache, TimeEmbedCacheStrategy)

}  // namespace ablate::opt
