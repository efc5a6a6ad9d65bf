// The kernels of elementwise_kernels.h: memory-bound, one pass each. The [rows, dim] ones take one
// block per row and four consecutive columns per thread (the callers check dim % 4 == 0 and 16-byte
// alignment); the RMSNorm and RoPE kernels move 16-byte packs (8 bf16) where the pointers allow.
#include <cuda_bf16.h>
#include <cuda_fp8.h>

#include "optimizations/kernels/device_common.cuh"
#include "optimizations/kernels/elementwise_kernels.h"

namespace ablate::opt::kernels {
namespace {

using device::blocks_for;
using device::kThreads;
using device::load_as_float;
using device::store;
using device::as_float;
using device::assign;
using device::kPack;
using device::load_pack;
using device::Pack;
using device::store_pack;

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// v rounded to T and back: what an eager op whose result is a T tensor leaves for the next op.
__device__ __forceinline__ float round_to(float v, const float*) { return v; }
__device__ __forceinline__ float round_to(float v, const __nv_bfloat16*) {
  return __bfloat162float(__float2bfloat16_rn(v));
}

// One block per row, up to the grid's limit (the kernels stride over the rest).
unsigned int row_blocks(int64_t rows) {
  return static_cast<unsigned int>(rows < 1 ? 1 : (rows > (1LL << 31) - 1 ? (1LL << 31) - 1 : rows));
}

// The modulation chunk `which` of row r, columns c..c+3: mod[which] + e0[b, l, which] (the eager
// `modulation.to(float) + e0`, one rounding).
struct ModRow {
  const float* mod;
  const float* e0;
  int64_t dim;
  __device__ __forceinline__ float at(int which, int64_t c) const {
    return __fadd_rn(mod[which * dim + c], e0[which * dim + c]);
  }
};

__device__ __forceinline__ ModRow mod_row(const Modulation& m, int64_t row) {
  const int64_t b = row / m.tokens, l = row % m.tokens;
  return ModRow{m.modulation, m.e0 + b * m.e0_batch_stride + l * m.e0_token_stride, m.dim};
}

// One block per row (grid-strided over rows), each thread four consecutive columns: f(mr, i, c0)
// for the quad at flat index i, column c0, with the row's modulation mr computed once per row (no
// per-element 64-bit division).
template <typename F>
__device__ __forceinline__ void for_each_row_quad(const Modulation& m, F f) {
  const int64_t rows = m.batch * m.tokens;
  const int quads = static_cast<int>(m.dim / 4);
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const ModRow mr = mod_row(m, row);
    for (int q = threadIdx.x; q < quads; q += blockDim.x) {
      const int64_t c0 = 4 * int64_t(q);
      f(mr, row * m.dim + c0, c0);
    }
  }
}

template <typename Out>
__global__ void modulate_kernel(const float* __restrict__ normed, Modulation m, int shift, Out* __restrict__ out) {
  for_each_row_quad(m, [&](const ModRow& mr, int64_t i, int64_t c0) {
    const float4 n = *reinterpret_cast<const float4*>(normed + i);
    const float nv[4] = {n.x, n.y, n.z, n.w};
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      // normed * (1 + scale) + shift, each op rounded as the eager kernels round it
      const float one_plus = __fadd_rn(mr.at(shift + 1, c0 + k), 1.0f);
      store(out, i + k, __fadd_rn(__fmul_rn(nv[k], one_plus), mr.at(shift, c0 + k)));
    }
  });
}

template <typename Y>
__global__ void gated_residual_kernel(const float* __restrict__ x, const Y* __restrict__ y, Modulation m, int gate,
                                      float* __restrict__ out) {
  for_each_row_quad(m, [&](const ModRow& mr, int64_t i, int64_t c0) {
    const float4 xv = *reinterpret_cast<const float4*>(x + i);
    const float xs[4] = {xv.x, xv.y, xv.z, xv.w};
    float r[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) r[k] = __fadd_rn(xs[k], __fmul_rn(load_as_float(y, i + k), mr.at(gate, c0 + k)));
    *reinterpret_cast<float4*>(out + i) = make_float4(r[0], r[1], r[2], r[3]);
  });
}

template <typename T>
__global__ void cam_modulate_kernel(const float* __restrict__ x, const T* __restrict__ scale,
                                    const T* __restrict__ shift, int64_t n, float* __restrict__ out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    // (1 + scale) is a T tensor in the eager code: rounded to T before the product
    const float one_plus = round_to(__fadd_rn(load_as_float(scale, i), 1.0f), scale);
    out[i] = __fadd_rn(__fmul_rn(one_plus, x[i]), load_as_float(shift, i));
  }
}

// The pair (a, b) of element pair j rotated by the complex128 table entry f (c10::complex<double>'s
// operator*= as written there: the eager kernel's product); float64 -> T goes through float, as
// c10's conversions do.
template <typename T>
__device__ __forceinline__ void rotate(float a_in, float b_in, const double* f, T& re_out, T& im_out) {
  const double fr = f[0], fim = f[1];
  const double a = a_in, b = b_in;
  const double re = a * fr - b * fim;
  const double im = a * fim + b * fr;
  assign(re_out, static_cast<float>(re));
  assign(im_out, static_cast<float>(im));
}

// One block per (request, token): the token's (frame, row, column) once, then its heads x pairs.
// Packed (x and out 16-byte aligned, c a multiple of the pairs in a pack): each thread one 16-byte
// pack of kPack<T> / 2 pairs of one head's column group, else one pair.
template <typename T>
__global__ void rope_kernel(const T* __restrict__ x, const double* __restrict__ freqs, RopeShape s, bool packed,
                            T* __restrict__ out) {
  constexpr int kPairs = kPack<T> / 2;
  const int c = static_cast<int>(s.head_dim / 2), c_t = c - 2 * (c / 3), c_h = c / 3;
  const int pairs = static_cast<int>(s.heads) * c;
  const int64_t token_rows = s.batch * s.tokens, seq_len = s.f * s.h * s.w;
  for (int64_t bt = blockIdx.x; bt < token_rows; bt += gridDim.x) {
    const int64_t token = bt % s.tokens;
    const T* xt = x + bt * 2 * pairs;
    T* ot = out + bt * 2 * pairs;
    if (token >= seq_len) {  // padding: through float64 and back, unchanged
      for (int p = threadIdx.x; p < 2 * pairs; p += blockDim.x) store(ot, p, load_as_float(xt, p));
      continue;
    }
    const int64_t fi = token / (s.h * s.w), hi = (token / s.w) % s.h, wi = token % s.w;
    const double* row_t = freqs + 2 * (s.start_frame + fi) * c;
    const double* row_h = freqs + 2 * hi * c;
    const double* row_w = freqs + 2 * wi * c;
    auto entry = [&](int j) { return (j < c_t ? row_t : (j < c_t + c_h ? row_h : row_w)) + 2 * j; };
    if (packed) {
      for (int q = threadIdx.x; q < pairs / kPairs; q += blockDim.x) {
        const Pack<T> in = load_pack(xt, q);
        Pack<T> r;
        const int j0 = (q * kPairs) % c;
#pragma unroll
        for (int k = 0; k < kPairs; ++k)
          rotate(as_float(in.v[2 * k]), as_float(in.v[2 * k + 1]), entry(j0 + k), r.v[2 * k], r.v[2 * k + 1]);
        store_pack(ot, q, r);
      }
    } else {
      for (int p = threadIdx.x; p < pairs; p += blockDim.x)
        rotate(load_as_float(xt, 2 * p), load_as_float(xt, 2 * p + 1), entry(p % c), ot[2 * p], ot[2 * p + 1]);
    }
  }
}

// float(x)^2 (pow(x, 2) is x * x in the eager kernel): the first `packs` packs as 16-byte loads,
// the rest one element per thread.
template <typename T>
__global__ void rms_square_kernel(const T* __restrict__ x, int64_t n, int64_t packs, float* __restrict__ out) {
  constexpr int P = kPack<T>;
  const int64_t stride = int64_t(gridDim.x) * blockDim.x, first = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  for (int64_t q = first; q < packs; q += stride) {
    const Pack<T> in = load_pack(x, q);
    float r[P];
#pragma unroll
    for (int k = 0; k < P; ++k) {
      const float v = as_float(in.v[k]);
      r[k] = __fmul_rn(v, v);
    }
#pragma unroll
    for (int k = 0; k < P; k += 4)
      *reinterpret_cast<float4*>(out + q * P + k) = make_float4(r[k], r[k + 1], r[k + 2], r[k + 3]);
  }
  for (int64_t i = packs * P + first; i < n; i += stride) {
    const float v = load_as_float(x, i);
    out[i] = __fmul_rn(v, v);
  }
}

// (x.float() * rsqrt(..)).to(T), then * weight in T (computed in float, rounded to T); one block
// per row, 16-byte packs when `packed` (dim a multiple of a pack, every pointer aligned).
template <typename T>
__device__ __forceinline__ float rms_value(T x, float inv_rms, T w) {
  const float normed = round_to(__fmul_rn(as_float(x), inv_rms), static_cast<const T*>(nullptr));
  return __fmul_rn(normed, as_float(w));
}

template <typename T>
__global__ void rms_apply_kernel(const T* __restrict__ x, const float* __restrict__ inv_rms,
                                 const T* __restrict__ weight, int64_t rows, int64_t dim, bool packed,
                                 T* __restrict__ out) {
  constexpr int P = kPack<T>;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float r = inv_rms[row];
    const T* xr = x + row * dim;
    T* outr = out + row * dim;
    if (packed) {
      for (int64_t q = threadIdx.x; q < dim / P; q += blockDim.x) {
        const Pack<T> xv = load_pack(xr, q), wv = load_pack(weight, q);
        Pack<T> o;
#pragma unroll
        for (int k = 0; k < P; ++k) assign(o.v[k], rms_value(xv.v[k], r, wv.v[k]));
        store_pack(outr, q, o);
      }
    } else {
      for (int64_t c = threadIdx.x; c < dim; c += blockDim.x) assign(outr[c], rms_value(xr[c], r, weight[c]));
    }
  }
}

// One block per row. The eager path: amax(|x|) (exact in any order), scale = amax * (1/448) (a
// division by a host scalar is a product with its float reciprocal), 1 for a zero row; then
// x / scale clamped to +-448 and rounded to e4m3 (nearest even, as c10::Float8_e4m3fn).
template <typename T>
__global__ void fp8_quantize_kernel(const T* __restrict__ x, int64_t cols, const float* __restrict__ tensor_scale,
                                    float* __restrict__ row_scale, uint8_t* __restrict__ q) {
  const int64_t row = blockIdx.x;
  const T* xr = x + row * cols;
  __shared__ float shared_scale;
  if (row_scale != nullptr) {
    float amax = 0.f;
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) amax = fmaxf(amax, fabsf(load_as_float(xr, i)));
    __shared__ float partial[kThreads / 32];
    for (int off = 16; off > 0; off /= 2) amax = fmaxf(amax, __shfl_xor_sync(0xffffffffu, amax, off));
    if (threadIdx.x % 32 == 0) partial[threadIdx.x / 32] = amax;
    __syncthreads();
    if (threadIdx.x == 0) {
      float m = 0.f;
      for (int w = 0; w < kThreads / 32; ++w) m = fmaxf(m, partial[w]);
      const float s = m > 0.f ? __fmul_rn(m, 1.0f / 448.0f) : 1.0f;
      shared_scale = s;
      row_scale[row] = s;
    }
  } else if (threadIdx.x == 0) {
    shared_scale = *tensor_scale;
  }
  __syncthreads();
  const float scale = shared_scale;
  for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) {
    const float v = fminf(fmaxf(__fdiv_rn(load_as_float(xr, i), scale), -448.f), 448.f);
    q[row * cols + i] = static_cast<uint8_t>(__nv_cvt_float_to_fp8(v, __NV_SATFINITE, __NV_E4M3));
  }
}

}  // namespace

void modulate(const float* normed, const Modulation& m, int shift_index, void* out, Elem out_type,
              cudaStream_t stream) {
  const unsigned int blocks = row_blocks(m.batch * m.tokens);
  if (out_type == Elem::kBFloat16) {
    modulate_kernel<<<blocks, kThreads, 0, stream>>>(normed, m, shift_index, static_cast<__nv_bfloat16*>(out));
  } else {
    modulate_kernel<<<blocks, kThreads, 0, stream>>>(normed, m, shift_index, static_cast<float*>(out));
  }
}

void gated_residual(const float* x, const void* y, Elem y_type, const Modulation& m, int gate_index, float* out,
                    cudaStream_t stream) {
  const unsigned int blocks = row_blocks(m.batch * m.tokens);
  if (y_type == Elem::kBFloat16) {
    gated_residual_kernel<<<blocks, kThreads, 0, stream>>>(x, static_cast<const __nv_bfloat16*>(y), m, gate_index, out);
  } else {
    gated_residual_kernel<<<blocks, kThreads, 0, stream>>>(x, static_cast<const float*>(y), m, gate_index, out);
  }
}

void cam_modulate(const float* x, const void* scale, const void* shift, Elem type, int64_t n, float* out,
                  cudaStream_t stream) {
  if (type == Elem::kBFloat16) {
    cam_modulate_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, static_cast<const __nv_bfloat16*>(scale),
                                                                static_cast<const __nv_bfloat16*>(shift), n, out);
  } else {
    cam_modulate_kernel<<<blocks_for(n), kThreads, 0, stream>>>(x, static_cast<const float*>(scale),
                                                                static_cast<const float*>(shift), n, out);
  }
}

template <typename T>
void rms_square_as(const T* x, int64_t n, float* out, cudaStream_t stream) {
  const int64_t packs = aligned16(x) && aligned16(out) ? n / kPack<T> : 0;
  rms_square_kernel<<<blocks_for(packs > 0 ? packs : n), kThreads, 0, stream>>>(x, n, packs, out);
}

void rms_square(const void* x, Elem type, int64_t n, float* out, cudaStream_t stream) {
  if (type == Elem::kBFloat16) rms_square_as(static_cast<const __nv_bfloat16*>(x), n, out, stream);
  else rms_square_as(static_cast<const float*>(x), n, out, stream);
}

template <typename T>
void rms_apply_as(const T* x, const float* inv_rms, const T* weight, int64_t rows, int64_t dim, T* out,
                  cudaStream_t stream) {
  const bool packed = dim % kPack<T> == 0 && aligned16(x) && aligned16(weight) && aligned16(out);
  rms_apply_kernel<<<row_blocks(rows), kThreads, 0, stream>>>(x, inv_rms, weight, rows, dim, packed, out);
}

void rms_apply(const void* x, const float* inv_rms, const void* weight, Elem type, int64_t rows, int64_t dim, void* out,
               cudaStream_t stream) {
  if (type == Elem::kBFloat16)
    rms_apply_as(static_cast<const __nv_bfloat16*>(x), inv_rms, static_cast<const __nv_bfloat16*>(weight), rows, dim,
                 static_cast<__nv_bfloat16*>(out), stream);
  else
    rms_apply_as(static_cast<const float*>(x), inv_rms, static_cast<const float*>(weight), rows, dim,
                 static_cast<float*>(out), stream);
}

template <typename T>
void rope_as(const T* x, const double* freqs, const RopeShape& s, T* out, cudaStream_t stream) {
  const bool packed = (s.head_dim / 2) % (kPack<T> / 2) == 0 && aligned16(x) && aligned16(out);
  rope_kernel<<<row_blocks(s.batch * s.tokens), kThreads, 0, stream>>>(x, freqs, s, packed, out);
}

void rope(const void* x, Elem type, const double* freqs, const RopeShape& s, void* out, cudaStream_t stream) {
  if (type == Elem::kBFloat16)
    rope_as(static_cast<const __nv_bfloat16*>(x), freqs, s, static_cast<__nv_bfloat16*>(out), stream);
  else
    rope_as(static_cast<const float*>(x), freqs, s, static_cast<float*>(out), stream);
}

void fp8_quantize(const void* x, Elem type, int64_t rows, int64_t cols, const float* tensor_scale,
                  float* row_scale_out, uint8_t* q, cudaStream_t stream) {
  if (rows == 0) return;
  const unsigned int blocks = static_cast<unsigned int>(rows);
  if (type == Elem::kBFloat16) {
    fp8_quantize_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const __nv_bfloat16*>(x), cols, tensor_scale,
                                                         row_scale_out, q);
  } else {
    fp8_quantize_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const float*>(x), cols, tensor_scale,
                                                         row_scale_out, q);
  }
}

const char* last_error() {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? "" : cudaGetErrorString(e);
}

}  // namespace ablate::opt::kernels
