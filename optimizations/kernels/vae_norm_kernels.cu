// The kernel of vae_norm_kernels.h: memory-bound, one read for the norm and one read + write for
// the output (the second read mostly from L1/L2). Channels-last (channel_stride 1): one warp per
// position, its lanes over the channels (coalesced). Contiguous: one thread per position, looping
// over the channels (coalesced across the warp's neighbouring positions).
#include <cuda_bf16.h>

#include "optimizations/kernels/device_common.cuh"
#include "optimizations/kernels/vae_norm_kernels.h"

namespace ablate::opt::kernels {
namespace {

using device::blocks_for;
using device::kThreads;
using device::load_as_float;
using device::store;

__device__ __forceinline__ float finish(float v, float inv, const float* gamma, const float* bias, int64_t c, bool silu) {
  float y = v * inv * gamma[c];
  if (bias) y += bias[c];
  return silu ? y / (1.f + __expf(-y)) : y;
}

// scale / max(sqrt(sum of squares), 1e-12): F.normalize's clamp, then the sqrt(C) rescale
__device__ __forceinline__ float inverse_norm(float sum_squares, float scale) {
  return scale / fmaxf(sqrtf(sum_squares), 1e-12f);
}

template <typename T>
__global__ void norm_warp_per_position(const T* __restrict__ x, ChannelNorm s, const float* __restrict__ gamma,
                                       const float* __restrict__ bias, T* __restrict__ out) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / 32);
  const int64_t total = s.batch * s.positions;
  for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x / 32) + threadIdx.x / 32; p < total; p += warps) {
    const int64_t base = p * s.channels;  // channels-last: a position's channels are contiguous
    float sum = 0.f;
    for (int64_t c = lane; c < s.channels; c += 32) {
      const float v = load_as_float(x, base + c);
      sum += v * v;
    }
    for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
    const float inv = inverse_norm(sum, s.scale);
    for (int64_t c = lane; c < s.channels; c += 32)
      store(out, base + c, finish(load_as_float(x, base + c), inv, gamma, bias, c, s.silu));
  }
}

template <typename T>
__global__ void norm_thread_per_position(const T* __restrict__ x, ChannelNorm s, const float* __restrict__ gamma,
                                         const float* __restrict__ bias, T* __restrict__ out) {
  const int64_t total = s.batch * s.positions;
  for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < total;
       p += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = p / s.positions, pos = p % s.positions;
    const int64_t base = b * s.channels * s.positions + pos * s.position_stride;
    float sum = 0.f;
    for (int64_t c = 0; c < s.channels; ++c) {
      const float v = load_as_float(x, base + c * s.channel_stride);
      sum += v * v;
    }
    const float inv = inverse_norm(sum, s.scale);
    for (int64_t c = 0; c < s.channels; ++c) {
      const int64_t i = base + c * s.channel_stride;
      store(out, i, finish(load_as_float(x, i), inv, gamma, bias, c, s.silu));
    }
  }
}

template <typename T>
void launch(const T* x, const ChannelNorm& s, const float* gamma, const float* bias, T* out, cudaStream_t stream) {
  const int64_t positions = s.batch * s.positions;
  if (s.channel_stride == 1)
    norm_warp_per_position<<<blocks_for(positions * 32), kThreads, 0, stream>>>(x, s, gamma, bias, out);
  else
    norm_thread_per_position<<<blocks_for(positions), kThreads, 0, stream>>>(x, s, gamma, bias, out);
}

}  // namespace

void vae_norm_silu(const void* x, Elem type, const ChannelNorm& s, const float* gamma, const float* bias, void* out,
                   cudaStream_t stream) {
  if (type == Elem::kBFloat16)
    launch(static_cast<const __nv_bfloat16*>(x), s, gamma, bias, static_cast<__nv_bfloat16*>(out), stream);
  else
    launch(static_cast<const float*>(x), s, gamma, bias, static_cast<float*>(out), stream);
}

}  // namespace ablate::opt::kernels
