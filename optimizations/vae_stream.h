// vae_stream: decode each chunk's latent frames as soon as the chunk is denoised, with the VAE
// decoder's causal feature cache carried from chunk to chunk, instead of the whole latent after
// the last chunk. The reference's decode already runs one latent frame at a time through that
// cache, so this is the same math (conv2 runs on the one-shot shape; see vae::DecodeSession):
// bit-identical. On CUDA each chunk's decode goes on a side stream (ordered by events) so that it
// overlaps the next chunk's DiT forwards; only the last chunk's decode is left after the DiT.
// Rank 0 decodes, as before.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class VaeStreamStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  int64_t chunks_streamed_ = 0;
  bool side_stream_ = false;
};

}  // namespace ablate::opt
