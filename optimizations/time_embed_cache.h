// time_embed_cache: the DiT's time embedding (e, e0) computed once per timestep and shape and reused
// by every later chunk. Each chunk's forwards run the sampler's same timesteps (4 denoising + the
// t = 0 refresh), so 30 of a generate()'s 35 forwards recompute what an earlier chunk computed: at
// 14b the fp32 [L, dim] x [dim, 6 dim] GEMM, 1.42 TFLOP (~35 ms on an H200) each. Tier A: the
// stored tensors are the same GEMMs' outputs on the same inputs. Forwards inside a cuda_graph capture
// compute theirs (a graph replays one chunk's steps with t as an input).
#pragma once
#include <map>
#include <tuple>

#include "optimizations/strategy.h"

namespace ablate::opt {

class TimeEmbedCacheStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  // (step, refresh, latent frames in the chunk, requests): the timestep and the token count
  using Key = std::tuple<int64_t, bool, int64_t, int64_t>;
  std::map<Key, dit::ForwardArgs::TimeEmbedding> cache_;
  int64_t hits_ = 0, misses_ = 0, captured_ = 0, bytes_ = 0;
};

}  // namespace ablate::opt
