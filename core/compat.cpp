#include "core/compat.h"

#include <cmath>

namespace ablate::compat {

torch::Tensor attention_bhld(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             double scale) {
#if ABLATE_TORCH_AT_LEAST(2, 1)
  // q: [B, H, Lq, d], k/v: [B, H, Lk, d] -> [B, H, Lq, d]
  return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                          /*is_causal=*/false, scale);
#else
  // math path: fp32 softmax, as flash attention accumulates in fp32.
  auto logits = torch::matmul(q.to(torch::kFloat), k.to(torch::kFloat).transpose(-2, -1)) * scale;
  auto probs = torch::softmax(logits, -1);
  return torch::matmul(probs, v.to(torch::kFloat)).to(q.scalar_type());
#endif
}

torch::Tensor sdpa_default_scale(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
#if ABLATE_TORCH_AT_LEAST(2, 0)
  return at::scaled_dot_product_attention(q, k, v);
#else
  // the math backend: q and k each scaled by sqrt(1 / sqrt(d)), softmax in the input dtype
  const double scale = std::sqrt(1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  torch::Tensor attn = torch::matmul(q * scale, k.transpose(-2, -1) * scale);  // [N, H, L, L]
  return torch::matmul(torch::softmax(attn, -1), v);
#endif
}

std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

}  // namespace ablate::compat
