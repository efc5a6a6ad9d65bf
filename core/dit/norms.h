// The DiT's norms: WanRMSNorm (q/k norm over the full width) and WanLayerNorm (fp32 LayerNorm,
// optionally affine), both computed in float32 and cast back to the input dtype as the reference.
#pragma once
#include <torch/torch.h>

namespace ablate::dit {

struct WanRmsNormOptions {
  WanRmsNormOptions(int64_t dim) : dim_(dim) {}
  /// Normalized width.
  TORCH_ARG(int64_t, dim);
  /// Epsilon. Default: 1e-6
  TORCH_ARG(double, eps) = 1e-6;
};

class WanRmsNormImpl : public torch::nn::Module {
 public:
  explicit WanRmsNormImpl(const WanRmsNormOptions& options);
  // x: [..., dim] -> [..., dim], dtype of x (then promoted by weight's dtype, as x.type_as(x) * weight)
  torch::Tensor forward(const torch::Tensor& x);

  WanRmsNormOptions options;
  torch::Tensor weight;
};
TORCH_MODULE(WanRmsNorm);

struct WanLayerNormOptions {
  WanLayerNormOptions(int64_t dim) : dim_(dim) {}
  /// Normalized width.
  TORCH_ARG(int64_t, dim);
  /// Epsilon. Default: 1e-6
  TORCH_ARG(double, eps) = 1e-6;
  /// Learnable weight and bias (only norm3 has them). Default: false
  TORCH_ARG(bool, elementwise_affine) = false;
};

class WanLayerNormImpl : public torch::nn::Module {
 public:
  explicit WanLayerNormImpl(const WanLayerNormOptions& options);
  // x: [..., dim] -> [..., dim] in x's dtype; the norm itself runs in float32
  torch::Tensor forward(const torch::Tensor& x);

  WanLayerNormOptions options;
  torch::Tensor weight, bias;  // undefined unless elementwise_affine
};
TORCH_MODULE(WanLayerNorm);

}  // namespace ablate::dit
