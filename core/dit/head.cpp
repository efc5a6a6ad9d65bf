#include "core/dit/head.h"

#include "core/precision.h"

namespace ablate::dit {

HeadImpl::HeadImpl(const HeadOptions& options_) : options(options_) {
  norm = register_module("norm", WanLayerNorm(WanLayerNormOptions(options.dim()).eps(options.eps())));
  head = register_module("head", Linear(LinearOptions(options.dim(), options.out_channels()).tensor_options(options.tensor_options())));
  modulation = register_parameter("modulation", torch::zeros({1, 2, options.dim()}), false);
}

torch::Tensor HeadImpl::forward(const torch::Tensor& x, const torch::Tensor& e) {
  // m: [B, L, 2, dim] -> shift, scale
  auto m = (modulation.to(torch::kFloat).unsqueeze(0) + e.unsqueeze(2)).chunk(2, 2);
  auto h = norm(x) * (1 + m[1].squeeze(2)) + m[0].squeeze(2);
  return linear_as(h, head, torch::kFloat);
}

}  // namespace ablate::dit
