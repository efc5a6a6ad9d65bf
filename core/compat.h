// The one place where LibTorch 1.13 (Debian, CPU) and LibTorch 2.x (PyTorch 2.11, CUDA) differ.
#pragma once
#include <torch/torch.h>
#include <torch/version.h>

#define ABLATE_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace ablate::compat {

// True where at::scaled_dot_product_attention exists (LibTorch >= 2.0).
constexpr bool kHasSdpa = ABLATE_TORCH_AT_LEAST(2, 0);

// softmax(q k^T * scale) v over [B, H, L, d] tensors. Uses SDPA (flash / memory-efficient kernels)
// where LibTorch has it, the plain math path otherwise.
torch::Tensor attention_bhld(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             double scale);

// softmax(q k^T / sqrt(d)) v over [N, H, L, d] with SDPA's default scale, as the reference's VAE
// attention calls F.scaled_dot_product_attention: SDPA where LibTorch has it (its fused kernels),
// the arithmetic of its math backend on LibTorch 1.13.
torch::Tensor sdpa_default_scale(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);

// The LibTorch version as "major.minor.patch".
std::string torch_version();

}  // namespace ablate::compat
