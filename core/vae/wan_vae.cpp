// WanVae: module tree (encoder, conv1, conv2, decoder), latent normalization, encode/decode, and
// the seeded init rule.
#include "core/vae/wan_vae.h"

#include <array>
#include <cmath>

#include "profiling/nvtx.h"

namespace ablate::vae {

namespace {

// Wan2_1_VAE (vae2_1.py) latent mean / std per channel, as float32 like torch.tensor(..., float).
constexpr int64_t kLatentChannels = 16;
constexpr std::array<float, kLatentChannels> kLatentMean = {
    -0.7571f, -0.7089f, -0.9113f, 0.1075f,  -0.1745f, 0.9653f,  -0.1517f, 1.5508f,
    0.4134f,  -0.0715f, 0.5517f,  -0.3632f, -0.1922f, -0.9497f, 0.2503f,  -0.2921f};
constexpr std::array<float, kLatentChannels> kLatentStd = {
    2.8184f, 1.4541f, 2.3275f, 2.6558f, 1.2196f, 1.7708f, 2.6052f, 2.0743f,
    3.2687f, 2.1526f, 2.8652f, 1.5579f, 1.6382f, 1.1253f, 2.8251f, 1.9160f};

torch::Tensor channel_tensor(const std::array<float, kLatentChannels>& values) {
  return torch::tensor(std::vector<float>(values.begin(), values.end()), torch::kFloat)
      .view({1, kLatentChannels, 1, 1, 1});
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

WanVaeImpl::WanVaeImpl(const WanVaeOptions& options) : options_(options) {
  TORCH_CHECK(options_.z_dim() == kLatentChannels, "WanVae: expected z_dim ", kLatentChannels,
              " (the hard-coded latent mean/std have 16 channels), but got ", options_.z_dim());
  std::vector<bool> upsample(options_.temporal_downsample().rbegin(),
                             options_.temporal_downsample().rend());
  // Registration order and names follow WanVAE_: encoder, conv1, conv2, decoder.
  encoder_ = register_module("encoder",
                             Encoder3d(Encoder3dOptions()
                                           .dim(options_.dim())
                                           .z_dim(options_.z_dim() * 2)
                                           .dim_mult(options_.dim_mult())
                                           .num_res_blocks(options_.num_res_blocks())
                                           .temporal_downsample(options_.temporal_downsample())));
  const int64_t z2 = options_.z_dim() * 2;
  conv1_ = register_module("conv1", CausalConv3d(CausalConv3dOptions(z2, z2, 1)));
  conv2_ = register_module(
      "conv2", CausalConv3d(CausalConv3dOptions(options_.z_dim(), options_.z_dim(), 1)));
  decoder_ = register_module("decoder", Decoder3d(Decoder3dOptions()
                                                      .dim(options_.dim())
                                                      .z_dim(options_.z_dim())
                                                      .dim_mult(options_.dim_mult())
                                                      .num_res_blocks(options_.num_res_blocks())
                                                      .temporal_upsample(upsample)));
  mean_ = channel_tensor(kLatentMean);
  // Wan2_1_VAE keeps scale = [mean, 1.0 / std]; the float32 reciprocal is part of the arithmetic.
  inv_std_ = torch::reciprocal(channel_tensor(kLatentStd));
}

torch::Tensor WanVaeImpl::normalize_latent(const torch::Tensor& mu) const {
  if (mean_.device() != mu.device()) {
    mean_ = mean_.to(mu.device());
    inv_std_ = inv_std_.to(mu.device());
  }
  return (mu - mean_) * inv_std_;
}

torch::Tensor WanVaeImpl::unnormalize_latent(const torch::Tensor& z) const {
  if (mean_.device() != z.device()) {
    mean_ = mean_.to(z.device());
    inv_std_ = inv_std_.to(z.device());
  }
  return z / inv_std_ + mean_;
}

void WanVaeImpl::set_compute(const VaeCompute& compute) {
  torch::NoGradGuard no_grad;
  for (torch::nn::Module* part : {static_cast<torch::nn::Module*>(encoder_.get()),
                                  static_cast<torch::nn::Module*>(decoder_.get())}) {
    for (auto& p : part->parameters()) {
      torch::Tensor v = p.to(compute.dtype);
      if (compute.channels_last && v.dim() == 5) v = v.contiguous(at::MemoryFormat::ChannelsLast3d);
      if (compute.channels_last && v.dim() == 4 && v.size(2) * v.size(3) > 1)  // 2-D convs, not gammas
        v = v.contiguous(at::MemoryFormat::ChannelsLast);
      if (!compute.channels_last) v = v.contiguous();
      p.set_data(v);
    }
  }
  compute_ = compute;
}

void WanVaeImpl::set_kernels(const VaeKernels* kernels) {
  for (const auto& m : modules(/*include_self=*/false)) {
    if (auto* norm = dynamic_cast<RmsNormImpl*>(m.get())) norm->kernels = kernels;
    if (auto* conv = dynamic_cast<CausalConv3dImpl*>(m.get())) conv->kernels = kernels;
  }
}

torch::Tensor WanVaeImpl::to_compute(const torch::Tensor& x) const {
  torch::Tensor y = x.to(compute_.dtype);
  if (compute_.channels_last && y.dim() == 5) y = y.contiguous(at::MemoryFormat::ChannelsLast3d);
  return y;
}

torch::Tensor WanVaeImpl::encode(const torch::Tensor& video) {
  ABLATE_NVTX_RANGE("vae_encode");
  TORCH_CHECK(video.dim() == 4 && video.size(1) % 4 == 1,
              "WanVae::encode: expected video [3, 1 + 4k, ", "H, W], but got ", video.sizes());
  // One push: every group through the cache, then conv1 on all encoder outputs (as WanVAE_.encode).
  return EncodeSession(*this).push(video);
}

torch::Tensor WanVaeImpl::decode(const torch::Tensor& latent) {
  ABLATE_NVTX_RANGE("vae_decode");
  // One push: conv2 on the whole z, then the decoder frame by frame (as WanVAE_.decode).
  return DecodeSession(*this).push(latent);
}

// Init rule. Every conv (3-D causal, 2-D resample, 1x1 attention) gets a zero-mean uniform weight
// with std gain / sqrt(fan_in), fan_in = Cin * kernel volume: with independent zero-mean weights
// the output's second moment is gain^2 times the input's whatever the input correlation (nearest-
// upsampled pixels, repeated frames), so no layer grows or shrinks the signal. Residual branches
// start with RMS_norm (RMS 1) + SiLU (second moment ~0.36), so each block adds a bounded amount to
// the stream: measured stage stds stay within ~0.1..1.6 at dim 8 and 96 (tests/vae_test.cpp).
// gamma = 1 makes RMS_norm exactly unit-RMS. Biases are small (std 0.02), not 0: with zero biases
// an all-zero frame is an exact fixed point of every layer and RMS_norm rescales any leak from
// earlier frames back to unit RMS, so a run of zero frames (the I2V encode tail) never settles,
// which trained weights do not show; with small biases the leak decays ~2x per latent frame. The
// decoder's last conv (decoder.head.2) gets gain 0.6: its input is SiLU(unit RMS), RMS ~0.6, so the
// pre-clamp video has std ~0.35 and clamping touches few pixels (gain 1.0 gave std ~0.55 but up to
// 18% of pixels at +-1 on some seeds, from per-channel offsets of the positive SiLU mean).
InitSpec vae_init_rule(const std::string& name, const torch::Tensor& p) {
  if (ends_with(name, "gamma")) return InitSpec::constant(1.0);
  if (ends_with(name, "bias")) return InitSpec::uniform(0.02);
  TORCH_CHECK(p.dim() >= 2, "vae_init_rule: expected a conv weight (>= 2-d) for '", name,
              "', but got shape ", p.sizes());
  const double fan_in = static_cast<double>(p.numel() / p.size(0));
  const double gain = ends_with(name, "decoder.head.2.weight") ? 0.6 : 1.0;  // any prefix
  return InitSpec::uniform(gain / std::sqrt(fan_in));
}

}  // namespace ablate::vae
