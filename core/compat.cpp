#include "core/compat.h"

#include <cmath>
#include <mutex>
#include <set>

namespace ablate::compat {

#if defined(ABLATE_CUDA)
int cuda_capability_major(int device_index);  // compat_cuda.cpp
#endif

torch::Tensor attention_bhld(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             double scale) {
#if ABLATE_TORCH_AT_LEAST(2, 1)
  // q: [B, H, Lq, d], k/v: [B, H, Lk, d] -> [B, H, Lq, d]
  return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                          /*is_causal=*/false, scale);
#else
  // math path: fp32 softmax, as flash attention accumulates in fp32.
  auto logits = torch::matmul(q.to(torch::kFloat), k.to(torch::kFloat).transpose(-2, -1)) * scale;
  auto probs = torch::softmax(logits, -1);
  return torch::matmul(probs, v.to(torch::kFloat)).to(q.scalar_type());
#endif
}

torch::Tensor sdpa_default_scale(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
#if ABLATE_TORCH_AT_LEAST(2, 0)
  return at::scaled_dot_product_attention(q, k, v);
#else
  // the math backend: q and k each scaled by sqrt(1 / sqrt(d)), softmax in the input dtype
  const double scale = std::sqrt(1.0 / std::sqrt(static_cast<double>(q.size(-1))));
  torch::Tensor attn = torch::matmul(q * scale, k.transpose(-2, -1) * scale);  // [N, H, L, L]
  return torch::matmul(torch::softmax(attn, -1), v);
#endif
}

std::string sdpa_backend_unavailable(SdpaBackend backend, const torch::Device& device) {
  if (backend == SdpaBackend::kDefault || backend == SdpaBackend::kMath) return "";
  if (!device.is_cuda()) return "needs CUDA (SDPA's flash, memory-efficient and cuDNN kernels are CUDA kernels)";
#if !ABLATE_TORCH_AT_LEAST(2, 1)
  return "needs LibTorch >= 2.1 (SDPA with a scale argument); this build has " + torch_version();
#else
  if (backend == SdpaBackend::kCudnn && !ABLATE_TORCH_AT_LEAST(2, 3))
    return "needs LibTorch >= 2.3 (SDPA's cuDNN backend); this build has " + torch_version();
  return "";
#endif
}

#if ABLATE_TORCH_AT_LEAST(2, 1)
namespace sdpa_flags {
// The context's SDPA backend switches, set for one call and restored after (also on a throw).
class Restrict {
 public:
  explicit Restrict(SdpaBackend only) {
    auto& c = at::globalContext();
    flash_ = c.userEnabledFlashSDP();
    efficient_ = c.userEnabledMemEfficientSDP();
    math_ = c.userEnabledMathSDP();
    c.setSDPUseFlash(only == SdpaBackend::kFlash);
    c.setSDPUseMemEfficient(only == SdpaBackend::kEfficient);
    c.setSDPUseMath(only == SdpaBackend::kMath);
#if ABLATE_TORCH_AT_LEAST(2, 3)
    cudnn_ = c.userEnabledCuDNNSDP();
    c.setSDPUseCuDNN(only == SdpaBackend::kCudnn);
#endif
  }
  ~Restrict() {
    auto& c = at::globalContext();
    c.setSDPUseFlash(flash_);
    c.setSDPUseMemEfficient(efficient_);
    c.setSDPUseMath(math_);
#if ABLATE_TORCH_AT_LEAST(2, 3)
    c.setSDPUseCuDNN(cudnn_);
#endif
  }
  Restrict(const Restrict&) = delete;
  Restrict& operator=(const Restrict&) = delete;

 private:
  bool flash_ = true, efficient_ = true, math_ = true, cudnn_ = true;
};
}  // namespace sdpa_flags
#endif

torch::Tensor attention_bhld_with(SdpaBackend backend, const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v, double scale) {
  if (backend == SdpaBackend::kDefault) return attention_bhld(q, k, v, scale);
#if ABLATE_TORCH_AT_LEAST(2, 1)
  sdpa_flags::Restrict only(backend);
  return at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, /*dropout_p=*/0.0,
                                          /*is_causal=*/false, scale);
#else
  // LibTorch 1.13 has no SDPA: its one attention is attention_bhld's math path
  TORCH_CHECK(backend == SdpaBackend::kMath, "attention_bhld_with: ", sdpa_backend_unavailable(backend, q.device()));
  return attention_bhld(q, k, v, scale);
#endif
}

std::string scaled_mm_unavailable(const torch::Device& device) {
  const std::string need = "needs SM90 and LibTorch 2.x CUDA (FP8 e4m3 GEMMs through at::_scaled_mm)";
  if (!device.is_cuda()) return need + "; the device is " + device.str();
#if !ABLATE_TORCH_AT_LEAST(2, 5) || !defined(ABLATE_CUDA)
  return need + "; this build has LibTorch " + torch_version() + (kHasScaledMm ? " without CUDA" : "");
#else
  const int major = cuda_capability_major(device.has_index() ? device.index() : 0);
  if (major < 9) return need + "; the device is SM" + std::to_string(major) + "x";
  return "";
#endif
}

torch::Tensor scaled_mm_fp8(const torch::Tensor& x8, const torch::Tensor& w8, const torch::Tensor& scale_x,
                            const torch::Tensor& scale_w, const torch::Tensor& bias, torch::Dtype out_dtype) {
#if ABLATE_TORCH_AT_LEAST(2, 5)
  // [M, K] x [K, N] (w8.t(): column-major) -> [M, N]; fast accumulation off (fp32 accumulate)
  std::optional<at::Tensor> b;
  if (bias.defined()) b = bias.to(out_dtype);
  return at::_scaled_mm(x8, w8.t(), scale_x, scale_w, b, /*scale_result=*/std::nullopt, out_dtype,
                        /*use_fast_accum=*/false);
#else
  TORCH_CHECK(false, "scaled_mm_fp8: needs LibTorch >= 2.5 (at::_scaled_mm with per-row scales); this build has ",
              torch_version());
  return torch::Tensor();
#endif
}

torch::Tensor to_float8_e4m3(const torch::Tensor& t) {
#if ABLATE_TORCH_AT_LEAST(2, 1)
  return t.to(at::kFloat8_e4m3fn);
#else
  TORCH_CHECK(false, "to_float8_e4m3: needs LibTorch >= 2.1 (float8 dtypes); this build has ", torch_version());
  return t;
#endif
}

#if ABLATE_TORCH_AT_LEAST(2, 1)
namespace {
// Deterministic mode in warn-only form warns at every nondeterministic call (each GEMM among them):
// each distinct message is passed on once.
class OncePerMessage : public c10::WarningHandler {
 public:
  explicit OncePerMessage(c10::WarningHandler* next) : next_(next) {}
  void process(const c10::Warning& warning) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (seen_.insert(warning.msg()).second) next_->process(warning);
  }

 private:
  c10::WarningHandler* next_;
  std::mutex mutex_;
  std::set<std::string> seen_;
};
}  // namespace
#endif

std::string fill_uninitialized_unavailable() {
#if ABLATE_TORCH_AT_LEAST(2, 1)
  return "";
#else
  return "needs LibTorch >= 2.1 (its deterministic fill of uninitialized memory); this build has " + torch_version();
#endif
}

void set_fill_uninitialized(bool fill, bool deterministic_mode) {
  const std::string why = fill_uninitialized_unavailable();
  TORCH_CHECK(why.empty() || (!fill && !deterministic_mode), "deterministic mode and the uninitialized-memory fill ", why);
#if ABLATE_TORCH_AT_LEAST(2, 1)
  auto& c = at::globalContext();
  c.setDeterministicAlgorithms(deterministic_mode || fill, /*warn_only=*/true);
  c.setDeterministicFillUninitializedMemory(fill);
  static OncePerMessage once(c10::WarningUtils::get_warning_handler());
  if (deterministic_mode || fill) c10::WarningUtils::set_warning_handler(&once);
#endif
}

std::string torch_version() {
  return std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
         std::to_string(TORCH_VERSION_PATCH);
}

}  // namespace ablate::compat
