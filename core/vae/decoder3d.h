// Decoder3d of the Wan2.1 VAE: latent [B, z_dim, T, h, w] -> video [B, 3, T'', 8h, 8w], decoded
// one latent frame at a time through the feature cache (1 frame first, then 4 per latent frame).
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

struct Decoder3dOptions {
  /// Base channel width. Default: 96
  TORCH_ARG(int64_t, dim) = 96;
  /// Latent channels in. Default: 16
  TORCH_ARG(int64_t, z_dim) = 16;
  /// Channel multipliers per encoder stage (the decoder walks them in reverse). Default: {1, 2, 4,
  /// 4}
  TORCH_ARG(std::vector<int64_t>, dim_mult) = std::vector<int64_t>({1, 2, 4, 4});
  /// Residual blocks per encoder stage (the decoder has one more per stage). Default: 2
  TORCH_ARG(int64_t, num_res_blocks) = 2;
  /// Per stage boundary: upsample3d (true) or upsample2d; the encoder's flags reversed.
  /// Default: {true, true, false}
  TORCH_ARG(std::vector<bool>, temporal_upsample) = std::vector<bool>({true, true, false});
};

class Decoder3dImpl : public torch::nn::Module {
 public:
  explicit Decoder3dImpl(const Decoder3dOptions& options);

  // x: [B, z_dim, T, h, w] -> [B, 3, T'', 8h, 8w]. With a cache (rewound by the caller) and T = 1:
  // T'' = 1 on the first step, 4 afterwards. probe: see ActivationProbe.
  torch::Tensor forward(const torch::Tensor& x, FeatureCache* cache = nullptr,
                        const ActivationProbe& probe = nullptr);

 private:
  // One entry of `upsamples`: a residual block or a resample (exactly one is set).
  struct Layer {
    ResidualBlock res{nullptr};
    Resample resample{nullptr};
  };

  Decoder3dOptions options_;
  CausalConv3d conv1_{nullptr};   // conv1: z_dim -> dim * mult[-1], 3x3x3
  torch::nn::ModuleList middle_;  // middle.{0: res, 1: attn, 2: res}
  ResidualBlock middle_res0_{nullptr}, middle_res1_{nullptr};
  AttentionBlock middle_attn_{nullptr};
  torch::nn::ModuleList upsamples_;  // upsamples.{i}
  std::vector<Layer> layers_;        // typed view of upsamples_
  torch::nn::ModuleList head_;       // head.{0: RMS, 1: SiLU, 2: conv -> 3}
  RmsNorm head_norm_{nullptr};
  CausalConv3d head_conv_{nullptr};
};
TORCH_MODULE(Decoder3d);

}  // namespace ablate::vae
