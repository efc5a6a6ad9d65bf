// Device helpers the hand-written kernels share (nvcc only): float loads of float32/bf16 elements,
// stores rounded as c10 rounds, and grid sizes for grid-strided loops.
#pragma once
#include <cuda_bf16.h>

#include <cstdint>

namespace ablate::opt::kernels::device {

constexpr int kThreads = 256;

// One element as float, and a float stored as T; c10::BFloat16(float) on the device is
// __float2bfloat16: round to nearest even.
__device__ __forceinline__ float as_float(float v) { return v; }
__device__ __forceinline__ float as_float(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ void assign(float& out, float v) { out = v; }
__device__ __forceinline__ void assign(__nv_bfloat16& out, float v) { out = __float2bfloat16_rn(v); }
template <typename T>
__device__ __forceinline__ float load_as_float(const T* p, int64_t i) { return as_float(p[i]); }
template <typename T>
__device__ __forceinline__ void store(T* p, int64_t i, float v) { assign(p[i], v); }

// kPack<T> consecutive elements as one 16-byte access (the callers check the alignment): 8 bf16 or
// 4 float32 per load and store instead of one each, which the bf16 kernels need to come near the
// memory's bandwidth.
template <typename T>
constexpr int kPack = 16 / static_cast<int>(sizeof(T));
template <typename T>
struct alignas(16) Pack {
  T v[kPack<T>];
};
template <typename T>
__device__ __forceinline__ Pack<T> load_pack(const T* p, int64_t pack_index) {
  return reinterpret_cast<const Pack<T>*>(p)[pack_index];
}
template <typename T>
__device__ __forceinline__ void store_pack(T* p, int64_t pack_index, const Pack<T>& v) {
  reinterpret_cast<Pack<T>*>(p)[pack_index] = v;
}

// Blocks of kThreads for `work` threads, capped (the kernels stride over the rest).
inline unsigned int blocks_for(int64_t work) {
  const int64_t b = (work + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(b < 1 ? 1 : (b > 65535LL * 32 ? 65535LL * 32 : b));
}

}  // namespace ablate::opt::kernels::device
