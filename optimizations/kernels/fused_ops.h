// LibTorch wrappers of the hand-written kernels (elementwise_kernels.h); CUDA builds only
// (fused_ops_cuda.cpp). Each checks its inputs' devices, dtypes and layouts and returns an
// undefined tensor where its kernel does not apply, so the caller runs the eager ops instead.
#pragma once
#include <torch/torch.h>

#include <array>
#include <utility>

namespace ablate::opt::kernels {

// normed: [B, L, dim], modulation: [1, 6, dim], e0: [B, L, 6, dim] float32 ->
// normed * (1 + (modulation[s+1] + e0[.., s+1])) + (modulation[s] + e0[.., s]) in `out`: [B, L, dim]
torch::Tensor fused_modulate(const torch::Tensor& normed, const torch::Tensor& modulation, const torch::Tensor& e0,
                             int64_t shift_index, torch::Dtype out);
// x: [B, L, dim], y: [B, L, dim] -> x + y * (modulation[g] + e0[.., g]): [B, L, dim] float32
torch::Tensor fused_gated_residual(const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& modulation,
                                   const torch::Tensor& e0, int64_t gate_index);
// x: [B, L, dim] float32, scale/shift: [B, L, dim] -> (1 + scale) * x + shift: [B, L, dim] float32
torch::Tensor fused_cam_modulate(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& shift);
// x: [B, L, dim] -> WanRmsNorm (core/dit/norms.h) with `weight` [dim] of x's dtype, in x's dtype
torch::Tensor fused_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);
// x: [B, L, heads, head_dim] -> the causal RoPE of core/dit/rope.h in x's dtype: [B, L, heads, head_dim]
torch::Tensor fused_rope(const torch::Tensor& x, const std::array<int64_t, 3>& grid, const torch::Tensor& freqs,
                         int64_t start_frame);
// The VAE's channel norm (core/vae/rms_norm.h) + SiLU: x [B, C, T, H, W] or [N, C, H, W], float32 or
// bf16, contiguous or channels-last -> x / max(||x over C||_2, 1e-12) * scale * gamma (+ bias), then
// SiLU when `silu`, in one pass (float32 arithmetic, one rounding). gamma/bias: [C, 1, 1(, 1)].
torch::Tensor fused_vae_norm_silu(const torch::Tensor& x, const torch::Tensor& gamma, const torch::Tensor& bias,
                                  double scale, bool silu);
// x: [M, K] float32 or bf16 -> (q [M, K] float8_e4m3fn, scale): per row scale [M, 1] float32
// computed here; per tensor the given `tensor_scale` ([] float32 on x's device).
std::pair<torch::Tensor, torch::Tensor> fused_fp8_quantize(const torch::Tensor& x, bool per_row,
                                                           const torch::Tensor& tensor_scale = {});

}  // namespace ablate::opt::kernels
