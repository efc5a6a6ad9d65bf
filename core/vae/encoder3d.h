// Encoder3d of the Wan2.1 VAE: video [B, 3, T, H, W] -> [B, z_dim, T', H/8, W/8] (z_dim = 2*16:
// mu and log_var), one cached step at a time (first frame alone, then groups of 4).
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/vae/attention_block.h"
#include "core/vae/causal_conv3d.h"
#include "core/vae/feature_cache.h"
#include "core/vae/resample.h"
#include "core/vae/residual_block.h"
#include "core/vae/rms_norm.h"

namespace ablate::vae {

struct Encoder3dOptions {
  /// Base channel width. Default: 96
  TORCH_ARG(int64_t, dim) = 96;
  /// Output channels (WanVAE_ builds the encoder with 2 * z_dim). Default: 32
  TORCH_ARG(int64_t, z_dim) = 32;
  /// Channel multipliers per stage. Default: {1, 2, 4, 4}
  TORCH_ARG(std::vector<int64_t>, dim_mult) = std::vector<int64_t>({1, 2, 4, 4});
  /// Residual blocks per stage. Default: 2
  TORCH_ARG(int64_t, num_res_blocks) = 2;
  /// Per stage boundary: downsample3d (true) or downsample2d. Default: {false, true, true}
  TORCH_ARG(std::vector<bool>, temporal_downsample) = std::vector<bool>({false, true, true});
};

class Encoder3dImpl : public torch::nn::Module {
 public:
  explicit Encoder3dImpl(const Encoder3dOptions& options);

  // x: [B, 3, T, H, W] -> [B, z_dim, T', H/8, W/8]. With a cache (rewound by the caller): T = 1
  // gives T' = 1 (first step), T = 4 gives T' = 1 (later steps). probe: see ActivationProbe.
  torch::Tensor forward(const torch::Tensor& x, FeatureCache* cache = nullptr,
                        const ActivationProbe& probe = nullptr);

 private:
  // One entry of `downsamples`: a residual block or a resample (exactly one is set).
  struct Layer {
    ResidualBlock res{nullptr};
    Resample resample{nullptr};
  };

  Encoder3dOptions options_;
  CausalConv3d conv1_{nullptr};        // conv1: 3 -> dim, 3x3x3
  torch::nn::ModuleList downsamples_;  // downsamples.{i}
  std::vector<Layer> layers_;          // typed view of downsamples_
  torch::nn::ModuleList middle_;       // middle.{0: res, 1: attn, 2: res}
  ResidualBlock middle_res0_{nullptr}, middle_res1_{nullptr};
  AttentionBlock middle_attn_{nullptr};
  torch::nn::ModuleList head_;  // head.{0: RMS, 1: SiLU, 2: conv -> z_dim}
  RmsNorm head_norm_{nullptr};
  CausalConv3d head_conv_{nullptr};
};
TORCH_MODULE(Encoder3d);

}  // namespace ablate::vae
