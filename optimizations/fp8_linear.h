// fp8_linear: the DiT's large GEMMs (self/cross q, k, v, o and the FFN) in FP8 e4m3 through
// at::_scaled_mm (SM90, LibTorch 2.x CUDA), with per-tensor or per-row scales. The weights are
// quantized once at install; the activations per call (their amax on the device, no host read; one
// fused kernel on CUDA).
// Also the quantize/dequantize arithmetic as plain tensor code (the CPU reference its tests check).
#pragma once
#include <map>

#include "optimizations/strategy.h"

namespace ablate::opt {

// Largest finite float8_e4m3fn value.
constexpr double kE4m3Max = 448.0;

enum class Fp8Scaling { kPerTensor, kPerRow };
// "per_tensor" | "per_row"; UsageError for anything else.
Fp8Scaling fp8_scaling_named(const std::string& value);

// The scale that maps t's largest magnitude onto kE4m3Max: t: [rows, cols] -> per tensor: []
// float32 amax / 448; per row: [rows, 1] float32. A zero amax gives scale 1 (zeros stay zeros).
torch::Tensor fp8_scales(const torch::Tensor& t, Fp8Scaling scaling);
// Round-to-nearest-even onto the e4m3 grid (3 mantissa bits, min normal 2^-6, subnormal step
// 2^-9), saturating at +-448: float8_e4m3fn's values, computed in float32 arithmetic.
torch::Tensor e4m3_round(const torch::Tensor& t);
// t / scale clamped to +-448 and rounded onto the e4m3 grid (float32 result): the quantized value.
torch::Tensor fp8_quantize_reference(const torch::Tensor& t, const torch::Tensor& scale);
// q * scale: the value an FP8 GEMM sees.
torch::Tensor fp8_dequantize_reference(const torch::Tensor& q, const torch::Tensor& scale);

class Fp8LinearStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

 private:
  struct Fp8Weight {
    torch::Tensor w8;     // [N, K] float8_e4m3fn
    torch::Tensor scale;  // [] or [1, N] float32
    torch::Tensor bias;   // [N] or undefined
  };
  // x: [M, K] -> (e4m3 [M, K], scale [] or [M, 1]): one fused kernel on CUDA, else tensor ops
  std::pair<torch::Tensor, torch::Tensor> quantize_activation(const torch::Tensor& x);

  std::map<const LinearImpl*, Fp8Weight> weights_;
  Fp8Scaling scaling_ = Fp8Scaling::kPerTensor;
  int64_t fp8_calls_ = 0, fallback_calls_ = 0, unaligned_layers_ = 0, fused_quantize_calls_ = 0;
};

}  // namespace ablate::opt
