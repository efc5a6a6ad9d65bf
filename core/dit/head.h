// Output head (CausalHead): float32 LayerNorm, 2-vector modulation from the time embedding e,
// Linear to patch*out_dim channels, all in float32 as the reference's autocast(float32) region.
#pragma once
#include <torch/torch.h>

#include "core/linear.h"
#include "core/dit/norms.h"

namespace ablate::dit {

struct HeadOptions {
  HeadOptions(int64_t dim, int64_t out_channels) : dim_(dim), out_channels_(out_channels) {}
  TORCH_ARG(int64_t, dim);
  /// prod(patch_size) * out_dim (64 for the Wan DiT)
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(double, eps) = 1e-6;
  /// Device and dtype the Linear weights are created with. Default: CPU float32
  TORCH_ARG(torch::TensorOptions, tensor_options) = torch::TensorOptions();
};

class HeadImpl : public torch::nn::Module {
 public:
  explicit HeadImpl(const HeadOptions& options);
  // x: [B, L, dim], e: [B, L, dim] float32 -> [B, L, out_channels] float32
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& e);

  HeadOptions options;
  WanLayerNorm norm{nullptr};
  Linear head{nullptr};
  torch::Tensor modulation;  // [1, 2, dim]
};
TORCH_MODULE(Head);

}  // namespace ablate::dit
