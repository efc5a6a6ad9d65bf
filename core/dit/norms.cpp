#include "core/dit/norms.h"

namespace ablate::dit {

WanRmsNormImpl::WanRmsNormImpl(const WanRmsNormOptions& options_) : options(options_) {
  weight = register_parameter("weight", torch::ones({options.dim()}), /*requires_grad=*/false);
}

torch::Tensor WanRmsNormImpl::forward(const torch::Tensor& x) {
  auto xf = x.to(torch::kFloat);
  auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + options.eps());
  return normed.to(x.scalar_type()) * weight;
}

WanLayerNormImpl::WanLayerNormImpl(const WanLayerNormOptions& options_) : options(options_) {
  if (options.elementwise_affine()) {
    weight = register_parameter("weight", torch::ones({options.dim()}), false);
    bias = register_parameter("bias", torch::zeros({options.dim()}), false);
  }
}

torch::Tensor WanLayerNormImpl::forward(const torch::Tensor& x) {
  // autocast runs layer_norm in float32 with up-cast affine parameters
  auto w = weight.defined() ? weight.to(torch::kFloat) : torch::Tensor();
  auto b = bias.defined() ? bias.to(torch::kFloat) : torch::Tensor();
  auto y = torch::layer_norm(x.to(torch::kFloat), {options.dim()}, w, b, options.eps());
  return y.to(x.scalar_type());
}

}  // namespace ablate::dit
