// CausalConv3d (reference vae2_1.py CausalConv3d): a Conv3d whose temporal padding is 2*p on the
// left only, so frame t sees frames <= t; earlier frames can come from a cache instead of zeros.
#pragma once
#include <torch/torch.h>

#include "core/vae/feature_cache.h"
#include "core/vae/vae_kernels.h"

namespace ablate::vae {

struct CausalConv3dOptions {
  CausalConv3dOptions(int64_t in_channels, int64_t out_channels,
                      torch::ExpandingArray<3> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  /// Input channels.
  TORCH_ARG(int64_t, in_channels);
  /// Output channels.
  TORCH_ARG(int64_t, out_channels);
  /// (kt, kh, kw).
  TORCH_ARG(torch::ExpandingArray<3>, kernel_size);
  /// (st, sh, sw). Default: 1
  TORCH_ARG(torch::ExpandingArray<3>, stride) = 1;
  /// Nominal (pt, ph, pw) as in nn.Conv3d; applied as (2*pt left, 0 right) in time. Default: 0
  TORCH_ARG(torch::ExpandingArray<3>, padding) = 0;
};

class CausalConv3dImpl : public torch::nn::Module {
 public:
  explicit CausalConv3dImpl(const CausalConv3dOptions& options);

  // x: [B, Cin, T, H, W], cache: undefined or earlier input frames [B, Cin, t <= 2, H, W]
  // -> [B, Cout, T', H', W']. With a cache, it stands in for the first t of the 2*pt zero frames.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cache = {});

  // One step through the feature cache, as the reference's callers do it: run forward() with the
  // slot's frames, then store the last 2 input frames in the slot (padding a 1-frame input with
  // the last cached frame). x: [B, Cin, T, H, W] -> [B, Cout, T', H', W'].
  torch::Tensor forward_cached(const torch::Tensor& x, CacheSlot& slot);

  const CausalConv3dOptions& options() const { return options_; }

  // The VAE's kernel seams (WanVae::set_kernels); null or an empty causal_conv: the core's ops.
  const VaeKernels* kernels = nullptr;

  torch::Tensor weight;  // [Cout, Cin, kt, kh, kw]
  torch::Tensor bias;    // [Cout]

 private:
  CausalConv3dOptions options_;
};
TORCH_MODULE(CausalConv3d);

// The frames a causal conv caches after seeing x: the last 2 frames of x, or, when x has a single
// frame and the slot holds a tensor, that slot's last frame followed by x. x: [B, C, T, H, W].
torch::Tensor next_cache_frames(const torch::Tensor& x, const CacheSlot& slot);

}  // namespace ablate::vae
