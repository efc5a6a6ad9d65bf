// Encoder3d: conv1, 4 stages of residual blocks with 3 downsamples, middle, head.
#include "core/vae/encoder3d.h"

namespace ablate::vae {

Encoder3dImpl::Encoder3dImpl(const Encoder3dOptions& options) : options_(options) {
  const auto& mult = options_.dim_mult();
  TORCH_CHECK(!mult.empty() && options_.temporal_downsample().size() + 1 == mult.size(),
              "Encoder3d: expected one temporal_downsample flag per stage boundary (",
              mult.size() > 0 ? mult.size() - 1 : 0, "), but got ",
              options_.temporal_downsample().size());
  // dims = dim * [1] + dim_mult
  std::vector<int64_t> dims{options_.dim()};
  for (int64_t u : mult) dims.push_back(options_.dim() * u);

  conv1_ = register_module("conv1", CausalConv3d(CausalConv3dOptions(3, dims[0], 3).padding(1)));

  downsamples_ = register_module("downsamples", torch::nn::ModuleList());
  int64_t out_dim = dims[0];
  for (size_t i = 0; i + 1 < dims.size(); ++i) {
    int64_t in_dim = dims[i];
    out_dim = dims[i + 1];
    for (int64_t r = 0; r < options_.num_res_blocks(); ++r) {
      Layer layer;
      layer.res = ResidualBlock(ResidualBlockOptions(in_dim, out_dim));
      layer.cache_slots = 2;
      downsamples_->push_back(layer.res);
      layers_.push_back(layer);
      in_dim = out_dim;
    }
    if (i + 1 != mult.size()) {
      const ResampleMode mode = options_.temporal_downsample()[i] ? ResampleMode::kDownsample3d
                                                                  : ResampleMode::kDownsample2d;
      Layer layer;
      layer.resample = Resample(ResampleOptions(out_dim, mode));
      layer.cache_slots = mode == ResampleMode::kDownsample3d ? 1 : 0;
      downsamples_->push_back(layer.resample);
      layers_.push_back(layer);
    }
  }

  middle_res0_ = ResidualBlock(ResidualBlockOptions(out_dim, out_dim));
  middle_attn_ = AttentionBlock(AttentionBlockOptions(out_dim));
  middle_res1_ = ResidualBlock(ResidualBlockOptions(out_dim, out_dim));
  middle_ =
      register_module("middle", torch::nn::ModuleList(middle_res0_, middle_attn_, middle_res1_));

  head_norm_ = RmsNorm(RmsNormOptions(out_dim).images(false));
  head_conv_ = CausalConv3d(CausalConv3dOptions(out_dim, options_.z_dim(), 3).padding(1));
  head_ = register_module("head", torch::nn::ModuleList(head_norm_, torch::nn::SiLU(), head_conv_));

  // The forward's stages; slot_count: the cache slots each visits (one per temporally padded
  // causal conv, one for a downsample3d's time_conv).
  stages_.push_back({"encoder.conv1", 1, [this](const torch::Tensor& x, FeatureCache* cache) {
                       return cache ? conv1_->forward_cached(x, cache->next_slot()) : conv1_->forward(x);
                     }});
  for (size_t i = 0; i < layers_.size(); ++i) {
    stages_.push_back({"encoder.downsamples." + std::to_string(i), layers_[i].cache_slots,
                       [this, i](const torch::Tensor& x, FeatureCache* cache) {
                         Layer& layer = layers_[i];
                         return layer.res ? layer.res->forward(x, cache) : layer.resample->forward(x, cache);
                       }});
  }
  stages_.push_back({"encoder.middle.0", 2, [this](const torch::Tensor& x, FeatureCache* cache) {
                       return middle_res0_->forward(x, cache);
                     }});
  // no cache: attention is within a frame
  stages_.push_back({"encoder.middle.1", 0, [this](const torch::Tensor& x, FeatureCache*) {
                       return middle_attn_->forward(x);
                     }});
  stages_.push_back({"encoder.middle.2", 2, [this](const torch::Tensor& x, FeatureCache* cache) {
                       return middle_res1_->forward(x, cache);
                     }});
  stages_.push_back({"encoder.head", 1, [this](const torch::Tensor& x, FeatureCache* cache) {
                       torch::Tensor y = head_norm_->forward(x, /*silu=*/true);
                       return cache ? head_conv_->forward_cached(y, cache->next_slot()) : head_conv_->forward(y);
                     }});
}

torch::Tensor Encoder3dImpl::forward(const torch::Tensor& x, FeatureCache* cache,
                                     const ActivationProbe& probe, const EncoderStageExecutor& execute) {
  TORCH_CHECK(x.dim() == 5 && x.size(1) == 3, "Encoder3d: expected video [B, 3, T, H, W], but got ",
              x.sizes());
  // [B, 3, T, H, W] -> [B, dim, T, H, W] -> ... -> [B, z_dim, T', H/8, W/8]
  torch::Tensor y = x;
  for (size_t i = 0; i < stages_.size(); ++i) {
    const Stage& stage = stages_[i];
    if (execute && cache) {
      const size_t first = cache->cursor();
      torch::Tensor in = y;
      y = execute(EncoderStageCall{static_cast<int64_t>(i), stage.name, in, cache, first, stage.slot_count,
                                   [&] {
                                     torch::Tensor out = stage.run(in, cache);
                                     TORCH_CHECK(cache->cursor() == first + stage.slot_count, "Encoder3d: ",
                                                 stage.name, " visited ", cache->cursor() - first,
                                                 " cache slots, expected ", stage.slot_count);
                                     return out;
                                   }});
      cache->seek(first + stage.slot_count);  // where run() leaves the cursor, run or not
    } else {
      y = stage.run(y, cache);
    }
    if (probe) probe(stage.name, y);
  }
  return y;
}

}  // namespace ablate::vae
