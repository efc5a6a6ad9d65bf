// The one place where LibTorch 1.13 (Debian, CPU) and LibTorch 2.x (PyTorch 2.11, CUDA) differ.
#pragma once
#include <torch/torch.h>
#include <torch/version.h>

#define ABLATE_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace ablate::compat {

// True where at::scaled_dot_product_attention exists (LibTorch >= 2.0).
constexpr bool kHasSdpa = ABLATE_TORCH_AT_LEAST(2, 0);

// softmax(q k^T * scale) v over [B, H, L, d] tensors. Uses SDPA (flash / memory-efficient kernels)
// where LibTorch has it, the plain math path otherwise.
torch::Tensor attention_bhld(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             double scale);

// softmax(q k^T / sqrt(d)) v over [N, H, L, d] with SDPA's default scale, as the reference's VAE
// attention calls F.scaled_dot_product_attention: SDPA where LibTorch has it (its fused kernels),
// the arithmetic of its math backend on LibTorch 1.13.
torch::Tensor sdpa_default_scale(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v);

// SDPA kernel choice for attention_bhld_with (the DiT's attention_backend seam).
enum class SdpaBackend { kDefault, kFlash, kEfficient, kCudnn, kMath };
// "" when `backend` can run on `device` with this LibTorch, else why not ("needs CUDA",
// "needs LibTorch >= 2.x ..."). kDefault and kMath run everywhere.
std::string sdpa_backend_unavailable(SdpaBackend backend, const torch::Device& device);
// attention_bhld with SDPA restricted to one backend (its context flags set for the call and
// restored after). kMath on LibTorch 1.13 is attention_bhld's own math path; any other
// non-default backend there throws (sdpa_backend_unavailable says why first).
torch::Tensor attention_bhld_with(SdpaBackend backend, const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v, double scale);

// FP8 (e4m3) GEMMs through at::_scaled_mm: LibTorch >= 2.5 built with CUDA, an SM90 device.
constexpr bool kHasScaledMm = ABLATE_TORCH_AT_LEAST(2, 5);
// "" when scaled_mm_fp8 can run on `device`, else why not.
std::string scaled_mm_unavailable(const torch::Device& device);
// x8: [M, K] float8_e4m3fn row-major, w8: [N, K] float8_e4m3fn (its transpose is the column-major
// operand), scale_x: [] or [M, 1] float32, scale_w: [] or [1, N] float32, bias [N] or undefined
// -> [M, N] out_dtype. Quantize with to_float8_e4m3 (below). Throws where scaled_mm_unavailable.
torch::Tensor scaled_mm_fp8(const torch::Tensor& x8, const torch::Tensor& w8, const torch::Tensor& scale_x,
                            const torch::Tensor& scale_w, const torch::Tensor& bias, torch::Dtype out_dtype);
// t (already divided by its scale and clamped to +-448) -> float8_e4m3fn. Throws where LibTorch
// has no float8 dtype (< 2.1).
torch::Tensor to_float8_e4m3(const torch::Tensor& t);

// Debugging reads of memory no kernel wrote: every tensor from at::empty and its kin is filled
// with NaN (integers: their max), through LibTorch's deterministic mode in warn-only form (its
// deterministic kernels too, so compare against that mode without the fill, not against the
// default). Each distinct warning prints once. "" where this LibTorch has it (>= 2.1), else why not.
std::string fill_uninitialized_unavailable();
// Turns the fill (and deterministic mode) on or off; throws where fill_uninitialized_unavailable.
void set_fill_uninitialized(bool fill, bool deterministic_mode);

// The LibTorch version as "major.minor.patch".
std::string torch_version();

}  // namespace ablate::compat
