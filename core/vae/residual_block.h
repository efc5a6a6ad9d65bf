// ResidualBlock of the Wan2.1 VAE: [RMS, SiLU, CausalConv 3x3x3, RMS, SiLU, Dropout, CausalConv
// 3x3x3] + a 1x1x1 CausalConv shortcut when the channel count changes.
#pragma once
#include <torch/torch.h>

#include "core/vae/causal_conv3d.h"
#include "core/vae/feature_cache.h"
#include "core/vae/rms_norm.h"

namespace ablate::vae {

struct ResidualBlockOptions {
  ResidualBlockOptions(int64_t in_dim, int64_t out_dim) : in_dim_(in_dim), out_dim_(out_dim) {}
  /// Input channels.
  TORCH_ARG(int64_t, in_dim);
  /// Output channels.
  TORCH_ARG(int64_t, out_dim);
};

class ResidualBlockImpl : public torch::nn::Module {
 public:
  explicit ResidualBlockImpl(const ResidualBlockOptions& options);

  // x: [B, in_dim, T, H, W] -> [B, out_dim, T, H, W]. cache: null = plain causal forward (zero
  // history); otherwise the two 3x3x3 convs take one slot each, in order.
  torch::Tensor forward(const torch::Tensor& x, FeatureCache* cache = nullptr);

 private:
  // Registered as residual.{0..6} and shortcut, the reference's state_dict names; the typed
  // handles below point at the same modules.
  torch::nn::ModuleList residual_;
  RmsNorm norm1_{nullptr};          // residual.0
  CausalConv3d conv1_{nullptr};     // residual.2
  RmsNorm norm2_{nullptr};          // residual.3
  CausalConv3d conv2_{nullptr};     // residual.6
  CausalConv3d shortcut_{nullptr};  // only when in_dim != out_dim (else nn.Identity)
};
TORCH_MODULE(ResidualBlock);

}  // namespace ablate::vae
