// RMS_norm of the Wan2.1 VAE: F.normalize over the channel dim (dim 1) * sqrt(C) * gamma (+ bias).
#pragma once
#include <torch/torch.h>

#include "core/vae/vae_kernels.h"

namespace ablate::vae {

struct RmsNormOptions {
  explicit RmsNormOptions(int64_t dim) : dim_(dim) {}
  /// Channels C.
  TORCH_ARG(int64_t, dim);
  /// true: gamma [C, 1, 1] for [N, C, H, W] inputs; false: gamma [C, 1, 1, 1] for [B, C, T, H, W].
  /// Default: true
  TORCH_ARG(bool, images) = true;
  /// Learned bias of gamma's shape (the reference's bias=True). Default: false
  TORCH_ARG(bool, bias) = false;
};

class RmsNormImpl : public torch::nn::Module {
 public:
  explicit RmsNormImpl(const RmsNormOptions& options);

  // x: [B, C, T, H, W] (images=false) or [N, C, H, W] (images=true) -> same shape; with `silu`,
  // SiLU of it (the norm's callers all apply one, and a fused kernel can do both in one pass)
  torch::Tensor forward(const torch::Tensor& x, bool silu = false);

  // The VAE's kernel seams (WanVae::set_kernels); null or an empty norm_silu: the core's ops.
  const VaeKernels* kernels = nullptr;

  torch::Tensor gamma;  // [C, 1, 1(, 1)]
  torch::Tensor bias;   // same as gamma; undefined unless options.bias()

 private:
  RmsNormOptions options_;
  double scale_;  // sqrt(C)
};
TORCH_MODULE(RmsNorm);

}  // namespace ablate::vae
