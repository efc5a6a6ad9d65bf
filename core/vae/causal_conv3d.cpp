// CausalConv3d: left-only temporal padding and the cached-frames step.
#include "core/vae/causal_conv3d.h"

namespace ablate::vae {

namespace F = torch::nn::functional;

CausalConv3dImpl::CausalConv3dImpl(const CausalConv3dOptions& options) : options_(options) {
  const auto& k = *options_.kernel_size();
  // Zeros, not a random init: values come from init_parameters or a checkpoint.
  weight = register_parameter(
      "weight", torch::zeros({options_.out_channels(), options_.in_channels(), k[0], k[1], k[2]}));
  bias = register_parameter("bias", torch::zeros({options_.out_channels()}));
}

torch::Tensor CausalConv3dImpl::forward(const torch::Tensor& x, const torch::Tensor& cache) {
  TORCH_CHECK(x.dim() == 5 && x.size(1) == options_.in_channels(),
              "CausalConv3d: expected input [B, ", options_.in_channels(), ", T, H, W], but got ",
              x.sizes());
  const auto& p = *options_.padding();
  int64_t pad_front = 2 * p[0];
  torch::Tensor input = x;
  // Cached frames replace zero frames only when the conv pads in time (not for 1x1x1 or the
  // stride-2 time_conv, which the reference feeds explicitly).
  if (cache.defined() && pad_front > 0) {
    TORCH_CHECK(cache.size(2) <= pad_front, "CausalConv3d: expected at most ", pad_front,
                " cached frames, but got ", cache.size(2));
    input = torch::cat({cache.to(x.device()), x}, 2);
    pad_front -= cache.size(2);
  }
  if (kernels && kernels->causal_conv) {
    const auto& s = *options_.stride();
    torch::Tensor out = kernels->causal_conv(input, weight, bias, {s[0], s[1], s[2]}, {pad_front, p[1], p[2]});
    if (out.defined()) return out;
  }
  // F.pad order: (w_left, w_right, h_top, h_bottom, t_front, t_back)
  input = F::pad(input, F::PadFuncOptions({p[2], p[2], p[1], p[1], pad_front, 0}));
  return torch::conv3d(input, weight, bias, *options_.stride());
}

torch::Tensor CausalConv3dImpl::forward_cached(const torch::Tensor& x, CacheSlot& slot) {
  TORCH_CHECK(slot.state != CacheSlot::State::kRep,
              "CausalConv3d: expected an empty or tensor cache slot, but got the 'Rep' sentinel");
  torch::Tensor cache_x = next_cache_frames(x, slot);
  torch::Tensor out =
      forward(x, slot.state == CacheSlot::State::kTensor ? slot.frames : torch::Tensor());
  slot.state = CacheSlot::State::kTensor;
  slot.frames = cache_x;
  return out;
}

torch::Tensor next_cache_frames(const torch::Tensor& x, const CacheSlot& slot) {
  const int64_t t = x.size(2);
  // clone(): the cache must not keep the whole activation alive through a view
  torch::Tensor cache_x = x.slice(2, std::max<int64_t>(0, t - kCacheT), t).clone();
  if (cache_x.size(2) < kCacheT && slot.state == CacheSlot::State::kTensor) {
    const int64_t ts = slot.frames.size(2);
    cache_x = torch::cat({slot.frames.slice(2, ts - 1, ts).to(cache_x.device()), cache_x}, 2);
  }
  return cache_x;
}

}  // namespace ablate::vae
