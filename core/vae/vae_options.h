// Shape of the Wan2.1 causal 3D VAE (z=16, stride 4x8x8).
#pragma once
#include <torch/torch.h>

#include <vector>

namespace ablate::vae {

struct WanVaeOptions {
  /// Base channel width. Default: 96 (Wan2.1)
  TORCH_ARG(int64_t, dim) = 96;
  /// Latent channels. Default: 16
  TORCH_ARG(int64_t, z_dim) = 16;
  /// Channel multipliers per stage. Default: {1, 2, 4, 4}
  TORCH_ARG(std::vector<int64_t>, dim_mult) = std::vector<int64_t>({1, 2, 4, 4});
  /// Residual blocks per stage. Default: 2
  TORCH_ARG(int64_t, num_res_blocks) = 2;
  /// Which encoder stages halve time (the decoder mirrors it). Default: {false, true, true}
  TORCH_ARG(std::vector<bool>, temporal_downsample) = std::vector<bool>({false, true, true});
};

// How the encoder and decoder compute (the reference: float32, contiguous). conv1/conv2 (the 1x1x1
// convs around the latent) and the latent normalization stay float32; sessions cast at the
// encoder's and decoder's boundaries, so latents and videos are float32 whatever this says.
struct VaeCompute {
  torch::Dtype dtype = torch::kFloat;  // encoder/decoder weights and activations (float, bf16, half)
  bool channels_last = false;          // conv weights and session inputs in channels_last(_3d)
  bool operator==(const VaeCompute& o) const { return dtype == o.dtype && channels_last == o.channels_last; }
};

}  // namespace ablate::vae
