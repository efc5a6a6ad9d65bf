// vae_stream: decode each chunk's latent frames as soon as the chunk is denoised, with the VAE
// decoder's causal feature cache carried from chunk to chunk, instead of the whole latent after
// the last chunk. The reference's decode already runs one latent frame at a time through that
// cache, so this is the same math (conv2 runs on the one-shot shape; see vae::DecodeSession):
// bit-identical. On CUDA each chunk's decode goes on a side stream (ordered by events) so that it
// overlaps the next chunk's DiT forwards; only the last chunk's decode is left after the DiT.
// Rank 0 decodes, as before.
// Value `thread`: the decode is also issued from a host thread of its own. With `on` the DiT's
// thread issues it between two chunks, and a chunk's decode is thousands of small kernels: once
// CUDA's launch queue is full that thread blocks until the decode has nearly run, and the next
// chunk's DiT starts only then (E32 measured the gap). Same kernels in the same order per stream:
// the same bits. Not with cudnn_benchmark: its switch is process-wide, so set from the decode's
// thread it would reach the DiT's convolutions meanwhile (and a graph capture: E32 saw one fail).
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class VaeStreamStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  int64_t chunks_streamed_ = 0;
  bool side_stream_ = false;
  bool own_thread_ = false;
};

}  // namespace ablate::opt
