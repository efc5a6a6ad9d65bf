// ResidualBlock: pre-norm residual of two causal 3x3x3 convs.
#include "core/vae/residual_block.h"

namespace ablate::vae {

ResidualBlockImpl::ResidualBlockImpl(const ResidualBlockOptions& options) {
  const int64_t in = options.in_dim(), out = options.out_dim();
  norm1_ = RmsNorm(RmsNormOptions(in).images(false));
  conv1_ = CausalConv3d(CausalConv3dOptions(in, out, 3).padding(1));
  norm2_ = RmsNorm(RmsNormOptions(out).images(false));
  conv2_ = CausalConv3d(CausalConv3dOptions(out, out, 3).padding(1));
  residual_ = register_module("residual", torch::nn::ModuleList());
  residual_->push_back(norm1_);
  residual_->push_back(torch::nn::SiLU());
  residual_->push_back(conv1_);
  residual_->push_back(norm2_);
  residual_->push_back(torch::nn::SiLU());
  residual_->push_back(torch::nn::Dropout(0.0));  // index 5 keeps conv2 at residual.6; a no-op
  residual_->push_back(conv2_);
  if (in != out)
    shortcut_ = register_module("shortcut", CausalConv3d(CausalConv3dOptions(in, out, 1)));
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x, FeatureCache* cache) {
  // The shortcut is 1x1x1 (no temporal padding), so the reference never gives it a cache slot.
  torch::Tensor h = shortcut_ ? shortcut_->forward(x) : x;
  // Each conv caches its own input (the SiLU output before it), as the reference's loop does.
  torch::Tensor y = norm1_->forward(x, /*silu=*/true);
  y = cache ? conv1_->forward_cached(y, cache->next_slot()) : conv1_->forward(y);
  y = norm2_->forward(y, /*silu=*/true);
  y = cache ? conv2_->forward_cached(y, cache->next_slot()) : conv2_->forward(y);
  return y + h;  // [B, out_dim, T, H, W]
}

}  // namespace ablate::vae
