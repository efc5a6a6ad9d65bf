// WanVae: the Wan2.1 causal video VAE (reference vae2_1.py WanVAE_ + Wan2_1_VAE), float32,
// inference only. encode: video [3, 1 + 4k, H, W] -> normalized latent [16, 1 + k, H/8, W/8];
// decode: latent [16, T, h, w] -> video [3, 1 + 4(T - 1), 8h, 8w] in [-1, 1].
#pragma once
#include <torch/torch.h>

#include <string>

#include "core/seeded_init.h"
#include "core/vae/causal_conv3d.h"
#include "core/vae/decoder3d.h"
#include "core/vae/encoder3d.h"
#include "core/vae/vae_options.h"
#include "core/vae/vae_session.h"

namespace ablate::vae {

class WanVaeImpl : public torch::nn::Module {
 public:
  explicit WanVaeImpl(const WanVaeOptions& options);

  /// video [3, F, H, W] float in [-1, 1], F = 1 + 4k -> normalized latent [z_dim, 1 + k, H/8, W/8]
  torch::Tensor encode(const torch::Tensor& video);
  /// latent [z_dim, T, h, w] -> video [3, 1 + 4(T - 1), 8h, 8w], clamped to [-1, 1]
  torch::Tensor decode(const torch::Tensor& latent);

  /// (mu - mean) * (1 / std), per latent channel. mu: [B, z_dim, T, h, w] -> same shape
  torch::Tensor normalize_latent(const torch::Tensor& mu) const;
  /// z / (1 / std) + mean, per latent channel (the reference's exact arithmetic). Same shapes.
  torch::Tensor unnormalize_latent(const torch::Tensor& z) const;

  const WanVaeOptions& options() const { return options_; }
  /// Casts the encoder's and decoder's weights to compute.dtype (and channels_last memory format);
  /// sessions then cast activations at their boundaries. Call after weights are loaded.
  void set_compute(const VaeCompute& compute);
  const VaeCompute& compute() const { return compute_; }
  /// x cast to the compute dtype and memory format, for the encoder or decoder.
  torch::Tensor to_compute(const torch::Tensor& x) const;
  /// Hands every norm and causal conv of the encoder and decoder the kernel seams (null: the core's).
  void set_kernels(const VaeKernels* kernels);
  Encoder3d& encoder() { return encoder_; }
  Decoder3d& decoder() { return decoder_; }
  CausalConv3d& conv1() { return conv1_; }  // 2z -> 2z, 1x1x1, after the encoder
  CausalConv3d& conv2() { return conv2_; }  // z -> z, 1x1x1, before the decoder

 private:
  WanVaeOptions options_;
  VaeCompute compute_;
  Encoder3d encoder_{nullptr};
  CausalConv3d conv1_{nullptr};
  CausalConv3d conv2_{nullptr};
  Decoder3d decoder_{nullptr};
  // Wan2_1_VAE's latent statistics: plain members, not buffers, since the checkpoint has none.
  // Moved lazily to the device of the input.
  mutable torch::Tensor mean_;     // [1, z_dim, 1, 1, 1]
  mutable torch::Tensor inv_std_;  // [1, z_dim, 1, 1, 1], 1 / std in float32
};
TORCH_MODULE(WanVae);

/// Init rule for ablate::init_parameters: gamma = 1, biases = 0, weights uniform with std
/// gain / sqrt(fan_in) (see wan_vae.cpp for the gains and why).
InitSpec vae_init_rule(const std::string& name, const torch::Tensor& p);

}  // namespace ablate::vae
