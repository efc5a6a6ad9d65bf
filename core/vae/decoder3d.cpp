// Decoder3d: conv1, middle, 4 stages of residual blocks with 3 upsamples, head.
#include "core/vae/decoder3d.h"

#include <algorithm>

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

  // Halo of a row band, walked back from the output: each 3x3 conv reaches one row further at its
  // resolution; across an upsample (nearest x2, then a 3x3 conv at the doubled size) h rows after
  // it need ceil((h + 1) / 2) rows before it.
  std::vector<int64_t> reversed;
  int64_t need = 1;  // head conv
  for (size_t i = layers_.size(); i-- > 0;) {
    if (layers_[i].res) {
      need += 2;
    } else {
      reversed.push_back(need);
      need = (need + 2) / 2;
    }
  }
  need += 2;  // middle.2
  reversed.push_back(need);
  slab_halos_.assign(reversed.rbegin(), reversed.rend());
}

namespace {

// y: [B, C, T, H, W] holding absolute rows [*lo, *hi) of a frame of `height` rows; keeps rows
// [begin - halo, end + halo) clipped to the frame (band and halo at y's resolution).
torch::Tensor crop_to_band(const torch::Tensor& y, int64_t* lo, int64_t* hi, int64_t begin, int64_t end,
                           int64_t halo, int64_t height) {
  const int64_t new_lo = std::max<int64_t>(0, begin - halo), new_hi = std::min(height, end + halo);
  torch::Tensor out = y.slice(3, new_lo - *lo, new_hi - *lo);
  *lo = new_lo;
  *hi = new_hi;
  return out;
}

}  // namespace

torch::Tensor Decoder3dImpl::forward(const torch::Tensor& x, FeatureCache* cache, const ActivationProbe& probe,
                                     const RowSlab* slab) {
  TORCH_CHECK(x.dim() == 5 && x.size(1) == options_.z_dim(), "Decoder3d: expected latent [B, ",
              options_.z_dim(), ", T, h, w], but got ", x.sizes());
  // [B, z_dim, T, h, w] -> [B, dim * mult[-1], T, h, w]
  torch::Tensor y = cache ? conv1_->forward_cached(x, cache->next_slot()) : conv1_->forward(x);
  if (probe) probe("decoder.conv1", y);
  y = middle_res0_->forward(y, cache);
  if (probe) probe("decoder.middle.0", y);
  y = middle_attn_->forward(y);  // no cache: attention is within a frame
  if (probe) probe("decoder.middle.1", y);
  // the band: from here on only its rows and their halo (the attention above saw the whole frame)
  int64_t scale = 1, lo = 0, hi = x.size(3), halo_index = 0;
  if (slab) {
    TORCH_CHECK(slab->begin >= 0 && slab->begin < slab->end && slab->end <= x.size(3), "Decoder3d: expected a row ",
                "band within the latent's ", x.size(3), " rows, but got [", slab->begin, ", ", slab->end, ")");
    y = crop_to_band(y, &lo, &hi, slab->begin, slab->end, slab_halos_[halo_index++], x.size(3));
  }
  y = middle_res1_->forward(y, cache);
  if (probe) probe("decoder.middle.2", y);
  // -> [B, dim, T'', 8h, 8w]
  for (size_t i = 0; i < layers_.size(); ++i) {
    y = layers_[i].res ? layers_[i].res->forward(y, cache) : layers_[i].resample->forward(y, cache);
    if (slab && !layers_[i].res) {  // an upsample doubled the rows
      scale *= 2;
      lo *= 2;
      hi *= 2;
      y = crop_to_band(y, &lo, &hi, scale * slab->begin, scale * slab->end, slab_halos_[halo_index++],
                       scale * x.size(3));
    }
    if (probe) probe("decoder.upsamples." + std::to_string(i), y);
  }
  // -> [B, 3, T'', 8h, 8w] (not clamped; WanVae clamps)
  y = head_norm_->forward(y, /*silu=*/true);
  y = cache ? head_conv_->forward_cached(y, cache->next_slot()) : head_conv_->forward(y);
  if (probe) probe("decoder.head", y);
  if (slab) y = crop_to_band(y, &lo, &hi, scale * slab->begin, scale * slab->end, 0, scale * x.size(3));
  return y;
}

}  // namespace ablate::vae
