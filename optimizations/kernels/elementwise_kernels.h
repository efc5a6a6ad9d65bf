// Hand-written CUDA kernels for the DiT's elementwise chains and FP8 activation quantization
// (CUDA builds only; elementwise_kernels.cu). Plain pointers and sizes, no LibTorch types: the .cu
// compiles with nvcc alone, and the tensor checks live in the callers (fused_elementwise_cuda.cpp,
// fp8_linear.cpp).
//
// Every kernel does the eager ops' IEEE operations in their order, each rounded on its own
// (__fadd_rn/__fmul_rn: no FMA contraction), and rounds to bf16 to nearest even as c10::BFloat16
// does: the results are the eager kernels' bits, one pass instead of one pass per op.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace ablate::opt::kernels {

enum class Elem { kFloat, kBFloat16 };

// e0: [B, L, 6, dim] float32, dim contiguous, chunk stride dim, batch/token strides in elements
// (0 for a broadcast). modulation: [6, dim] float32.
struct Modulation {
  const float* modulation = nullptr;
  const float* e0 = nullptr;
  int64_t e0_batch_stride = 0, e0_token_stride = 0;
  int64_t batch = 0, tokens = 0, dim = 0;
};

// out[b, l, c] = normed * (1 + (mod[s+1] + e0[s+1])) + (mod[s] + e0[s]); normed [B, L, dim] float32
// contiguous; out in `out_type`.
void modulate(const float* normed, const Modulation& m, int shift_index, void* out, Elem out_type,
              cudaStream_t stream);
// out = x + y * (mod[g] + e0[g]); x [B, L, dim] float32, y [B, L, dim] in `y_type`, out float32.
void gated_residual(const float* x, const void* y, Elem y_type, const Modulation& m, int gate_index, float* out,
                    cudaStream_t stream);
// out = (1 + scale) * x + shift, 1 + scale rounded to `type` first; x, out float32 [n];
// scale, shift [n] in `type`.
void cam_modulate(const float* x, const void* scale, const void* shift, Elem type, int64_t n, float* out,
                  cudaStream_t stream);

// WanRmsNorm in two kernels around the eager mean (whose reduction order they cannot reproduce):
// rms_square: out = float(x)^2 ([n] float32, the eager `x.float().pow(2)`); rms_apply: out[r, c] =
// T(T(float(x) * inv_rms[r]) * w[c]) with T = `type` (x, weight and out share it), inv_rms [rows]
// float32 = rsqrt(mean + eps).
void rms_square(const void* x, Elem type, int64_t n, float* out, cudaStream_t stream);
void rms_apply(const void* x, const float* inv_rms, const void* weight, Elem type, int64_t rows, int64_t dim, void* out,
               cudaStream_t stream);

// The causal RoPE of one chunk: x [B, L, heads, head_dim] in `type`, tokens below f*h*w rotated by
// the complex128 table freqs [rows, head_dim/2] (the t, h, w column groups indexed by the token's
// frame + start_frame, row, column), the rest copied; out like x.
struct RopeShape {
  int64_t batch = 0, tokens = 0, heads = 0, head_dim = 0;
  int64_t f = 0, h = 0, w = 0, start_frame = 0, freq_rows = 0;
};
void rope(const void* x, Elem type, const double* freqs, const RopeShape& s, void* out, cudaStream_t stream);

// FP8 e4m3 quantization of x [rows, cols] (`type`): per row (row_scale_out != nullptr) each row's
// scale is amax/448 (1 when the row is all zeros), written to row_scale_out [rows]; else the scale
// is the one float at `tensor_scale` (on the device). q = e4m3(clamp(x / scale, +-448)).
void fp8_quantize(const void* x, Elem type, int64_t rows, int64_t cols, const float* tensor_scale,
                  float* row_scale_out, uint8_t* q, cudaStream_t stream);

// The last launch's error as text ("" when it succeeded).
const char* last_error();

}  // namespace ablate::opt::kernels
