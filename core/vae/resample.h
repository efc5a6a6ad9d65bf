// Resample of the Wan2.1 VAE: spatial x2 up/down (per frame, Conv2d) with an optional causal time
// conv that doubles (upsample3d) or halves (downsample3d) the frame count through the cache.
#pragma once
#include <torch/torch.h>

#include "core/vae/causal_conv3d.h"
#include "core/vae/feature_cache.h"

namespace ablate::vae {

enum class ResampleMode { kUpsample2d, kUpsample3d, kDownsample2d, kDownsample3d };

struct ResampleOptions {
  ResampleOptions(int64_t dim, ResampleMode mode) : dim_(dim), mode_(mode) {}
  /// Input channels C (upsampling outputs C/2, downsampling C).
  TORCH_ARG(int64_t, dim);
  /// Which resampling.
  TORCH_ARG(ResampleMode, mode);
};

class ResampleImpl : public torch::nn::Module {
 public:
  explicit ResampleImpl(const ResampleOptions& options);

  // x: [B, C, T, H, W] ->
  //   upsample2d:   [B, C/2, T, 2H, 2W]
  //   upsample3d:   [B, C/2, 2T, 2H, 2W] (T frames on the first cached call: 'Rep', no time_conv)
  //   downsample2d: [B, C, T, H/2, W/2]
  //   downsample3d: [B, C, T', H/2, W/2], T' = (T - 1) / 2 + 1 with a cached previous frame;
  //                 T on the first cached call.
  // Without a cache (null) the time_conv is skipped, as in the reference.
  torch::Tensor forward(const torch::Tensor& x, FeatureCache* cache = nullptr);

 private:
  torch::Tensor upsample_time(const torch::Tensor& x, CacheSlot& slot);
  torch::Tensor downsample_time(const torch::Tensor& x, CacheSlot& slot);
  torch::Tensor resample_space(const torch::Tensor& x);

  ResampleOptions options_;
  // resample.{0,1}: index 0 has no parameters (Upsample / ZeroPad2d), index 1 is the Conv2d.
  torch::nn::ModuleList resample_;
  torch::nn::ZeroPad2d pad_{nullptr};  // downsample: (left 0, right 1, top 0, bottom 1)
  torch::nn::Conv2d conv_{nullptr};
  CausalConv3d time_conv_{nullptr};  // upsample3d: C -> 2C, (3,1,1); downsample3d: stride (2,1,1)
};
TORCH_MODULE(Resample);

}  // namespace ablate::vae
