// The VAE's channel RMS norm + SiLU as one CUDA kernel (CUDA builds only; vae_norm_kernels.cu).
// Plain pointers and sizes, no LibTorch types; the tensor checks live in fused_ops_cuda.cpp.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "optimizations/kernels/elementwise_kernels.h"

namespace ablate::opt::kernels {

// x: `batch` blocks of C channels x S positions, channel c of position s at
// b * C * S + c * channel_stride + s * position_stride (channels-last: channel_stride 1,
// position_stride C; contiguous: channel_stride S, position_stride 1). out in the same layout:
// out = x / max(||x over C||_2, 1e-12) * scale * gamma[c] (+ bias[c]), then SiLU when `silu`;
// float32 arithmetic, one rounding to `type` at the end. gamma, bias: [C] float32 (bias may be null).
struct ChannelNorm {
  int64_t batch = 0, channels = 0, positions = 0;
  int64_t channel_stride = 0, position_stride = 0;
  float scale = 1.f;
  bool silu = false;
};
void vae_norm_silu(const void* x, Elem type, const ChannelNorm& shape, const float* gamma, const float* bias,
                   void* out, cudaStream_t stream);

}  // namespace ablate::opt::kernels
