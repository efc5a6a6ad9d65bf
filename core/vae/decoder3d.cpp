// Decoder3d: conv1, middle, 4 stages of residual blocks with 3 upsamples, head.
#include "core/vae/decoder3d.h"

namespace ablate::vae {

Decoder3dImpl::Decoder3dImpl(const Decoder3dOptions& options) : options_(options) {
  const auto& mult = options_.dim_mult();
  TORCH_CHECK(!mult.empty() && options_.temporal_upsample().size() + 1 == mult.size(),
              "Decoder3d: expected one temporal_upsample flag per stage boundary (",
              mult.size() > 0 ? mult.size() - 1 : 0, "), but got ",
              options_.temporal_upsample().size());
  // dims = dim * ([mult[-1]] + reversed(mult))
  std::vector<int64_t> dims{options_.dim() * mult.back()};
  for (auto it = mult.rbegin(); it != mult.rend(); ++it) dims.push_back(options_.dim() * *it);

  conv1_ = register_module(
      "conv1", CausalConv3d(CausalConv3dOptions(options_.z_dim(), dims[0], 3).padding(1)));

  middle_res0_ = ResidualBlock(ResidualBlockOptions(dims[0], dims[0]));
  middle_attn_ = AttentionBlock(AttentionBlockOptions(dims[0]));
  middle_res1_ = ResidualBlock(ResidualBlockOptions(dims[0], dims[0]));
  middle_ =
      register_module("middle", torch::nn::ModuleList(middle_res0_, middle_attn_, middle_res1_));

  upsamples_ = register_module("upsamples", torch::nn::ModuleList());
  int64_t out_dim = dims[0];
  for (size_t i = 0; i + 1 < dims.size(); ++i) {
    int64_t in_dim = dims[i];
    out_dim = dims[i + 1];
    // Stages 1..3 follow a resample that halved the channels (the reference hard-codes i in 1..3).
    if (i == 1 || i == 2 || i == 3) in_dim /= 2;
    for (int64_t r = 0; r < options_.num_res_blocks() + 1; ++r) {
      Layer layer;
      layer.res = ResidualBlock(ResidualBlockOptions(in_dim, out_dim));
      upsamples_->push_back(layer.res);
      layers_.push_back(layer);
      in_dim = out_dim;
    }
    if (i + 1 != mult.size()) {
      const ResampleMode mode =
          options_.temporal_upsample()[i] ? ResampleMode::kUpsample3d : ResampleMode::kUpsample2d;
      Layer layer;
      layer.resample = Resample(ResampleOptions(out_dim, mode));
      upsamples_->push_back(layer.resample);
      layers_.push_back(layer);
    }
  }

  head_norm_ = RmsNorm(RmsNormOptions(out_dim).images(false));
  head_conv_ = CausalConv3d(CausalConv3dOptions(out_dim, 3, 3).padding(1));
  head_ = register_module("head", torch::nn::ModuleList(head_norm_, torch::nn::SiLU(), head_conv_));
}

torch::Tensor Decoder3dImpl::forward(const torch::Tensor& x, FeatureCache* cache,
                                     const ActivationProbe& probe) {
  TORCH_CHECK(x.dim() == 5 && x.size(1) == options_.z_dim(), "Decoder3d: expected latent [B, ",
              options_.z_dim(), ", T, h, w], but got ", x.sizes());
  // [B, z_dim, T, h, w] -> [B, dim * mult[-1], T, h, w]
  torch::Tensor y = cache ? conv1_->forward_cached(x, cache->next_slot()) : conv1_->forward(x);
  if (probe) probe("decoder.conv1", y);
  y = middle_res0_->forward(y, cache);
  if (probe) probe("decoder.middle.0", y);
  y = middle_attn_->forward(y);  // no cache: attention is within a frame
  if (probe) probe("decoder.middle.1", y);
  y = middle_res1_->forward(y, cache);
  if (probe) probe("decoder.middle.2", y);
  // -> [B, dim, T'', 8h, 8w]
  for (size_t i = 0; i < layers_.size(); ++i) {
    y = layers_[i].res ? layers_[i].res->forward(y, cache) : layers_[i].resample->forward(y, cache);
    if (probe) probe("decoder.upsamples." + std::to_string(i), y);
  }
  // -> [B, 3, T'', 8h, 8w] (not clamped; WanVae clamps)
  y = torch::silu(head_norm_->forward(y));
  y = cache ? head_conv_->forward_cached(y, cache->next_slot()) : head_conv_->forward(y);
  if (probe) probe("decoder.head", y);
  return y;
}

}  // namespace ablate::vae
