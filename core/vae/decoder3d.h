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

// A horizontal band of the decoded frames: latent rows [begin, end) (video rows [8 begin, 8 end)).
// The decoder runs conv1, middle.0 and the middle attention (which attends over the whole frame)
// on the whole latent frame, then only the rows the band's output depends on: at every point
// where the spatial size doubles (and after the attention) it crops the activation to the band
// plus a halo as deep as the 3x3 convolutions up to the end still reach, so the band's rows are
// computed from the same values as in the whole-frame decode. Each causal conv then caches the
// cropped input it saw: the band's caches stay right across frames.
struct RowSlab {
  int64_t begin = 0, end = 0;  // latent rows; end > begin
};

class Decoder3dImpl : public torch::nn::Module {
 public:
  explicit Decoder3dImpl(const Decoder3dOptions& options);

  // x: [B, z_dim, T, h, w] -> [B, 3, T'', 8h, 8w]. With a cache (rewound by the caller) and T = 1:
  // T'' = 1 on the first step, 4 afterwards. probe: see ActivationProbe.
  // slab: decode only that band of rows ([B, 3, T'', 8 (end - begin), 8w]); null: the whole frame.
  torch::Tensor forward(const torch::Tensor& x, FeatureCache* cache = nullptr,
                        const ActivationProbe& probe = nullptr, const RowSlab* slab = nullptr);

  /// Halo rows (at that point's resolution) the band keeps at each crop point: [0] after the
  /// middle attention (latent rows), then after each spatial upsample in order.
  const std::vector<int64_t>& slab_halos() const { return slab_halos_; }

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
  std::vector<int64_t> slab_halos_;  // see slab_halos()
};
TORCH_MODULE(Decoder3d);

}  // namespace ablate::vae
