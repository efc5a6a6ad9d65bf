// Shape of the causal Wan DiT (WanModelFast with camera layers).
#pragma once
#include <torch/torch.h>

#include <array>

namespace ablate::dit {

using PatchSize = std::array<int64_t, 3>;

struct DitOptions {
  /// Model width. Default: 1536 (1.3b)
  TORCH_ARG(int64_t, dim) = 1536;
  /// FFN width. Default: 8960
  TORCH_ARG(int64_t, ffn_dim) = 8960;
  /// Attention heads (head_dim = dim / heads). Default: 12
  TORCH_ARG(int64_t, num_heads) = 12;
  /// Transformer blocks. Default: 30
  TORCH_ARG(int64_t, num_layers) = 30;
  /// Input channels: 16 noisy latent + 4 mask + 16 image latent. Default: 36
  TORCH_ARG(int64_t, in_dim) = 36;
  /// Output (flow) channels. Default: 16
  TORCH_ARG(int64_t, out_dim) = 16;
  /// Text-encoder width fed to text_embedding. Default: 4096
  TORCH_ARG(int64_t, text_dim) = 4096;
  /// Padded text length of the cross-attention context. Default: 512
  TORCH_ARG(int64_t, text_len) = 512;
  /// Sinusoidal timestep width. Default: 256
  TORCH_ARG(int64_t, freq_dim) = 256;
  /// Per-pixel control channels: 6 = 'cam' (rays_o ‖ rays_d), 7 = 'act' (rays_d ‖ W, A, S, D). Default: 6
  TORCH_ARG(int64_t, control_dim) = 6;
  /// Patch size (t, h, w). Default: {1, 2, 2}
  TORCH_ARG(PatchSize, patch_size) = PatchSize{1, 2, 2};
  /// Norm epsilon. Default: 1e-6
  TORCH_ARG(double, eps) = 1e-6;
};

}  // namespace ablate::dit
