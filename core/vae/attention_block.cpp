// AttentionBlock: per-frame spatial single-head attention.
#include "core/vae/attention_block.h"

#include <cmath>

#include "core/compat.h"

namespace ablate::vae {

AttentionBlockImpl::AttentionBlockImpl(const AttentionBlockOptions& options) : options_(options) {
  const int64_t c = options_.dim();
  norm_ = register_module("norm", RmsNorm(RmsNormOptions(c).images(true)));
  to_qkv_ = register_module("to_qkv", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, c * 3, 1)));
  proj_ = register_module("proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, c, 1)));
}

torch::Tensor AttentionBlockImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.dim() == 5 && x.size(1) == options_.dim(), "AttentionBlock: expected input [B, ",
              options_.dim(), ", T, H, W], but got ", x.sizes());
  const int64_t b = x.size(0), c = x.size(1), t = x.size(2), h = x.size(3), w = x.size(4);
  // [B, C, T, H, W] -> [B*T, C, H, W]
  torch::Tensor y = x.permute({0, 2, 1, 3, 4}).reshape({b * t, c, h, w});
  y = norm_->forward(y);
  // [B*T, 3C, H, W] -> [B*T, 1, 3C, H*W] -> [B*T, 1, H*W, 3C] -> 3 x [B*T, 1, H*W, C]
  auto qkv = to_qkv_->forward(y)
                 .reshape({b * t, 1, c * 3, -1})
                 .permute({0, 1, 3, 2})
                 .contiguous()
                 .chunk(3, -1);
  y = compat::sdpa_default_scale(qkv[0], qkv[1], qkv[2]);  // the reference: F.scaled_dot_product_attention
  // [B*T, 1, H*W, C] -> [B*T, C, H*W] -> [B*T, C, H, W]
  y = y.squeeze(1).permute({0, 2, 1}).reshape({b * t, c, h, w});
  y = proj_->forward(y);
  // [B*T, C, H, W] -> [B, C, T, H, W]
  y = y.reshape({b, t, c, h, w}).permute({0, 2, 1, 3, 4});
  return y + x;
}

}  // namespace ablate::vae
