// The kernels of elementwise_kernels.h: memory-bound, one pass each. The [rows, dim] ones take one
// block per row and four consecutive columns per thread (the callers check dim % 4 == 0 and 16-byte
// alignment).
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

// One block per (request, token): the token's (frame, row, column) once, then its heads x pairs.
template <typename T>
__global__ void rope_kernel(const T* __restrict__ x, const double* __restrict__ freqs, RopeShape s,
                            T* __restrict__ out) {
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
    for (int p = threadIdx.x; p < pairs; p += blockDim.x) {
      const int j = p % c;
      const double* f = (j < c_t ? row_t : (j < c_t + c_h ? row_h : row_w)) + 2 * j;
      const double fr = f[0], fim = f[1];
      // c10::complex<double>::operator*= as written there (the eager kernel's product)
      const double a = load_as_float(xt, 2 * p), b = load_as_float(xt, 2 * p + 1);
      const double re = a * fr - b * fim;
      const double im = a * fim + b * fr;
      // float64 -> T goes through float, as c10's conversions do
      store(ot, 2 * p, static_cast<float>(re));
      store(ot, 2 * p + 1, static_cast<float>(im));
    }
  }
}

template <typename T>
__global__ void rms_square_kernel(const T* __restrict__ x, int64_t n, float* __restrict__ out) {
  const int64_t quads = n / 4;
  for (int64_t q = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; q < quads; q += int64_t(gridDim.x) * blockDim.x) {
    float r[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const float v = load_as_float(x, 4 * q + k);
      r[k] = __fmul_rn(v, v);  // pow(x, 2) is x * x in the eager kernel
    }
    *reinterpret_cast<float4*>(out + 4 * q) = make_float4(r[0], r[1], r[2], r[3]);
  }
}

template <typename T>
__global__ void rms_apply_kernel(const T* __restrict__ x, const float* __restrict__ inv_rms,
                                 const T* __restrict__ weight, int64_t rows, int64_t dim, T* __restrict__ out) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float r = inv_rms[row];
    const T* xr = x + row * dim;
    T* outr = out + row * dim;
    for (int64_t c = threadIdx.x; c < dim; c += blockDim.x) {
      // (x.float() * rsqrt(..)).to(T), then * weight in T (computed in float, rounded to T)
      const float normed = round_to(__fmul_rn(load_as_float(xr, c), r), x);
      store(outr, c, __fmul_rn(normed, load_as_float(weight, c)));
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

void rms_square(const void* x, Elem type, int64_t n, float* out, cudaStream_t stream) {
  if (type == Elem::kBFloat16) {
    rms_square_kernel<<<blocks_for(n / 4), kThreads, 0, stream>>>(static_cast<const __nv_bfloat16*>(x), n, out);
  } else {
    rms_square_kernel<<<blocks_for(n / 4), kThreads, 0, stream>>>(static_cast<const float*>(x), n, out);
  }
}

void rms_apply(const void* x, const float* inv_rms, const void* weight, Elem type, int64_t rows, int64_t dim, void* out,
               cudaStream_t stream) {
  const unsigned int blocks = row_blocks(rows);
  if (type == Elem::kBFloat16) {
    rms_apply_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const __nv_bfloat16*>(x), inv_rms,
                                                      static_cast<const __nv_bfloat16*>(weight), rows, dim,
                                                      static_cast<__nv_bfloat16*>(out));
  } else {
    rms_apply_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const float*>(x), inv_rms,
                                                      static_cast<const float*>(weight), rows, dim,
                                                      static_cast<float*>(out));
  }
}

void rope(const void* x, Elem type, const double* freqs, const RopeShape& s, void* out, cudaStream_t stream) {
  const unsigned int blocks = row_blocks(s.batch * s.tokens);
  if (type == Elem::kBFloat16) {
    rope_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const __nv_bfloat16*>(x), freqs, s,
                                                 static_cast<__nv_bfloat16*>(out));
  } else {
    rope_kernel<<<blocks, kThreads, 0, stream>>>(static_cast<const float*>(x), freqs, s, static_cast<float*>(out));
  }
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
