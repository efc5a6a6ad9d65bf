// Resample: nearest-exact x2 + Conv2d up, ZeroPad2d + stride-2 Conv2d down, and the time convs.
#include "core/vae/resample.h"

namespace ablate::vae {

namespace {

bool is_upsample(ResampleMode m) {
  return m == ResampleMode::kUpsample2d || m == ResampleMode::kUpsample3d;
}

}  // namespace

ResampleImpl::ResampleImpl(const ResampleOptions& options) : options_(options) {
  const int64_t dim = options_.dim();
  resample_ = register_module("resample", torch::nn::ModuleList());
  if (is_upsample(options_.mode())) {
    // Slot 0 is the reference's Upsample(scale 2, nearest-exact); the interpolation itself is
    // done in resample_space() (LibTorch's Upsample module has no nearest-exact mode).
    resample_->push_back(torch::nn::Identity());
    conv_ = torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, dim / 2, 3).padding(1));
  } else {
    pad_ = torch::nn::ZeroPad2d(torch::nn::ZeroPad2dOptions({0, 1, 0, 1}));
    resample_->push_back(pad_);
    conv_ = torch::nn::Conv2d(torch::nn::Conv2dOptions(dim, dim, 3).stride(2));
  }
  resample_->push_back(conv_);
  if (options_.mode() == ResampleMode::kUpsample3d) {
    time_conv_ = register_module(
        "time_conv", CausalConv3d(CausalConv3dOptions(dim, dim * 2, {3, 1, 1}).padding({1, 0, 0})));
  } else if (options_.mode() == ResampleMode::kDownsample3d) {
    time_conv_ = register_module(
        "time_conv", CausalConv3d(CausalConv3dOptions(dim, dim, {3, 1, 1}).stride({2, 1, 1})));
  }
}

torch::Tensor ResampleImpl::forward(const torch::Tensor& x, FeatureCache* cache) {
  TORCH_CHECK(x.dim() == 5 && x.size(1) == options_.dim(), "Resample: expected input [B, ",
              options_.dim(), ", T, H, W], but got ", x.sizes());
  torch::Tensor y = x;
  if (options_.mode() == ResampleMode::kUpsample3d && cache)
    y = upsample_time(y, cache->next_slot());
  y = resample_space(y);
  if (options_.mode() == ResampleMode::kDownsample3d && cache)
    y = downsample_time(y, cache->next_slot());
  return y;
}

// x: [B, C, T, H, W] -> [B, C, 2T, H, W]: time_conv gives 2C channels = two frames per frame.
torch::Tensor ResampleImpl::upsample_time(const torch::Tensor& x, CacheSlot& slot) {
  using State = CacheSlot::State;
  if (slot.state == State::kEmpty) {
    // First latent frame: no time upsampling; later steps pad with zeros instead of this frame.
    slot.state = State::kRep;
    return x;
  }
  const int64_t b = x.size(0), c = x.size(1), t = x.size(2), h = x.size(3), w = x.size(4);
  torch::Tensor cache_x = next_cache_frames(x, slot);  // prepends the last frame for kTensor
  if (cache_x.size(2) < kCacheT && slot.state == State::kRep) {
    cache_x = torch::cat({torch::zeros_like(cache_x), cache_x}, 2);
  }
  torch::Tensor y =
      slot.state == State::kRep ? time_conv_->forward(x) : time_conv_->forward(x, slot.frames);
  slot.state = State::kTensor;
  slot.frames = cache_x;
  // [B, 2C, T, H, W] -> [B, 2, C, T, H, W] -> stack at 3 -> [B, C, T, 2, H, W] -> [B, C, 2T, H, W]
  y = y.reshape({b, 2, c, t, h, w});
  y = torch::stack({y.select(1, 0), y.select(1, 1)}, 3);
  return y.reshape({b, c, t * 2, h, w});
}

// x: [B, C, T, H, W] -> [B, C, T', H, W]; the previous step's last frame leads the stride-2 conv.
torch::Tensor ResampleImpl::downsample_time(const torch::Tensor& x, CacheSlot& slot) {
  using State = CacheSlot::State;
  TORCH_CHECK(slot.state != State::kRep, "Resample(downsample3d): expected an empty or tensor ",
              "cache slot, but got the 'Rep' sentinel");
  if (slot.state == State::kEmpty) {
    slot.state = State::kTensor;
    slot.frames = x.clone();
    return x;
  }
  const int64_t t = x.size(2), ts = slot.frames.size(2);
  torch::Tensor cache_x = x.slice(2, t - 1, t).clone();
  torch::Tensor y = time_conv_->forward(torch::cat({slot.frames.slice(2, ts - 1, ts), x}, 2));
  slot.frames = cache_x;
  return y;
}

// Per-frame 2-D resampling: x: [B, C, T, H, W] -> [B*T, C, H, W] -> conv -> [B, C', T, H', W'].
torch::Tensor ResampleImpl::resample_space(const torch::Tensor& x) {
  const int64_t b = x.size(0), c = x.size(1), t = x.size(2);
  torch::Tensor y = x.permute({0, 2, 1, 3, 4}).reshape({b * t, c, x.size(3), x.size(4)});
  if (is_upsample(options_.mode())) {
    // nearest-exact x2 (the reference's Upsample casts to float first; we are float32 already).
    // This is the op F::interpolate(kNearestExact) dispatches to; called directly because
    // LibTorch 1.13's interpolate warns on every nearest-exact call (and 2.x rejects the
    // align_corners that would silence it). Output size floor(2 * H), scales 2, as Python passes.
    // Copying values is exact in any dtype: LibTorch 1.13's CPU kernel lacks bf16/fp16, so those
    // go through float32 there (the same values).
    const auto dtype = y.scalar_type();
    const bool via_float = y.is_cpu() && dtype != torch::kFloat && dtype != torch::kDouble;
    y = torch::_upsample_nearest_exact2d(via_float ? y.to(torch::kFloat) : y, {y.size(2) * 2, y.size(3) * 2}, 2.0, 2.0);
    if (via_float) y = y.to(dtype);
  } else {
    y = pad_->forward(y);
  }
  y = conv_->forward(y);  // [B*T, C', H', W']
  return y.reshape({b, t, y.size(1), y.size(2), y.size(3)}).permute({0, 2, 1, 3, 4});
}

}  // namespace ablate::vae
