// image_cache: the first-frame VAE encode ([image, F-1 zero frames] -> the conditioning latent)
// cached across generate() calls by MD5 of the image's float32 pixels, its shape and the video
// geometry (height, width, frames), as text_cache does for the prompt; a hit returns the same
// device tensor: bit-identical, tier A. It pays only when requests repeat an image (the `repeat`
// workload); under `unique` it misses on the first round of a cycle and costs one MD5 of the image
// per request. Cross-request caching is not MLPerf-compliant; runs label it.
#pragma once
#include "optimizations/strategy.h"
#include "optimizations/tensor_cache.h"

namespace ablate::opt {

class ImageCacheStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

  void set_max_entries(size_t n) { cache_.set_max_entries(n); }  // 0: unbounded
  int64_t hits() const { return cache_.hits(); }
  int64_t misses() const { return cache_.misses(); }

 private:
  TensorCache cache_;
};

// The cache key: MD5 of the image's float32 bytes (contiguous, CPU) followed by its shape and the
// geometry's height, width and frame count.
std::string image_cache_key(const torch::Tensor& image, const VideoGeometry& g);

}  // namespace ablate::opt
