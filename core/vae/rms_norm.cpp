// RmsNorm: channel-wise L2 normalization rescaled to RMS 1, times gamma.
#include "core/vae/rms_norm.h"

#include <cmath>

namespace ablate::vae {

namespace F = torch::nn::functional;

RmsNormImpl::RmsNormImpl(const RmsNormOptions& options)
    : options_(options), scale_(std::sqrt(static_cast<double>(options.dim()))) {
  std::vector<int64_t> shape = options_.images() ? std::vector<int64_t>{options_.dim(), 1, 1}
                                                 : std::vector<int64_t>{options_.dim(), 1, 1, 1};
  gamma = register_parameter("gamma", torch::ones(shape));
  if (options_.bias()) bias = register_parameter("bias", torch::zeros(shape));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x, bool silu) {
  const int64_t want_dim = options_.images() ? 4 : 5;
  TORCH_CHECK(x.dim() == want_dim && x.size(1) == options_.dim(), "RmsNorm: expected a ", want_dim,
              "-d input with ", options_.dim(), " channels at dim 1, but got ", x.sizes());
  if (kernels && kernels->norm_silu) {
    torch::Tensor fused = kernels->norm_silu(x, gamma, bias, scale_, silu);
    if (fused.defined()) return fused;
  }
  // Same evaluation order as the reference: normalize(x) * scale * gamma + bias;
  // x / max(||x||_2, 1e-12), so an all-zero position stays zero.
  torch::Tensor y = F::normalize(x, F::NormalizeFuncOptions().p(2.0).dim(1)) * scale_ * gamma;
  // The reference adds the float 0. when bias=False; skipping it only differs on the sign of zeros.
  if (bias.defined()) y = y + bias;
  return silu ? torch::silu(y) : y;
}

}  // namespace ablate::vae
