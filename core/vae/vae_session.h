// Step-wise VAE sessions over one feature cache: EncodeSession (first pixel frame, then groups of
// 4 -> one latent frame each) and DecodeSession (latent frames -> pixel frames, cache carried
// across pushes). WanVaeImpl::encode()/decode() are one push each, so the math is the same.
#pragma once
#include <torch/torch.h>

#include <vector>

#include "core/vae/feature_cache.h"

namespace ablate::vae {

class WanVaeImpl;

class EncodeSession {
 public:
  // The session keeps a reference: `vae` must outlive it. probe: see ActivationProbe.
  explicit EncodeSession(WanVaeImpl& vae, ActivationProbe probe = nullptr);

  /// frames: [3, n, H, W] float32 in [-1, 1], H and W multiples of 8; n = 1 + 4k on the first
  /// push (the first frame is encoded alone), n = 4k (k >= 1) afterwards. Each group of 4 goes
  /// through the encoder separately. Returns the normalized latent [z_dim, groups, H/8, W/8].
  torch::Tensor push(const torch::Tensor& frames);

  /// Feature-cache tensors in slot order (undefined for empty slots); for bitwise comparison.
  std::vector<torch::Tensor> cache_state() const { return cache_.tensors(); }
  /// Latent frames produced so far.
  int64_t latent_frames() const { return latent_frames_; }

 private:
  WanVaeImpl& vae_;
  FeatureCache cache_;
  ActivationProbe probe_;
  int64_t latent_frames_ = 0;
};

class DecodeSession {
 public:
  // The session keeps a reference: `vae` must outlive it. probe: see ActivationProbe.
  explicit DecodeSession(WanVaeImpl& vae, ActivationProbe probe = nullptr);

  /// latent: normalized [z_dim, t, h, w] float32, t >= 1. Unnormalizes, runs conv2 on these t
  /// frames, then the decoder one latent frame at a time. Returns [3, n, 8h, 8w] clamped to
  /// [-1, 1], n = 1 + 4(t - 1) on the first push and 4t afterwards.
  torch::Tensor push(const torch::Tensor& latent);

  /// Feature-cache tensors in slot order (undefined for empty and 'Rep' slots).
  std::vector<torch::Tensor> cache_state() const { return cache_.tensors(); }
  /// Latent frames decoded so far.
  int64_t latent_frames() const { return latent_frames_; }

 private:
  WanVaeImpl& vae_;
  FeatureCache cache_;
  ActivationProbe probe_;
  int64_t latent_frames_ = 0;
};

}  // namespace ablate::vae
