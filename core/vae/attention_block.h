// AttentionBlock of the Wan2.1 VAE: single-head self-attention over the H*W positions of each
// frame (frames do not attend to each other), pre-RMS-norm, residual.
#pragma once
#include <torch/torch.h>

#include "core/vae/rms_norm.h"

namespace ablate::vae {

struct AttentionBlockOptions {
  explicit AttentionBlockOptions(int64_t dim) : dim_(dim) {}
  /// Channels C (= the single head's width).
  TORCH_ARG(int64_t, dim);
};

class AttentionBlockImpl : public torch::nn::Module {
 public:
  explicit AttentionBlockImpl(const AttentionBlockOptions& options);

  // x: [B, C, T, H, W] -> [B, C, T, H, W]
  torch::Tensor forward(const torch::Tensor& x);

 private:
  AttentionBlockOptions options_;
  RmsNorm norm_{nullptr};              // norm (images=true: gamma [C, 1, 1])
  torch::nn::Conv2d to_qkv_{nullptr};  // C -> 3C, 1x1
  torch::nn::Conv2d proj_{nullptr};    // C -> C, 1x1
};
TORCH_MODULE(AttentionBlock);

}  // namespace ablate::vae
