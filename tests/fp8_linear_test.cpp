// fp8_linear's arithmetic as plain tensors (the CPU reference of what _scaled_mm is fed): scales
// map the amax onto 448, e4m3 rounding on its grid (3 mantissa bits, subnormals, ties to even),
// the clamp at +-448, and the dequantized error bound; validate() names what it needs. Where
// LibTorch has float8 (2.x) the reference rounding matches the dtype's bit for bit.
#include "optimizations/fp8_linear.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/compat.h"
#include "core/error.h"
#include "optimizations/registry.h"

namespace ablate::opt {
namespace fp8_linear_test {

std::vector<float> values_of(const torch::Tensor& t) {
  auto c = t.to(torch::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

TEST(Fp8LinearTest, ScalesMapTheAmaxOnto448) {
  auto t = torch::tensor({{1.0f, -896.0f}, {2.0f, 0.5f}, {0.0f, 0.0f}});
  auto per_tensor = fp8_scales(t, Fp8Scaling::kPerTensor);
  EXPECT_EQ(per_tensor.dim(), 0);
  EXPECT_EQ(per_tensor.item<float>(), 2.0f);  // 896 / 448
  auto per_row = fp8_scales(t, Fp8Scaling::kPerRow);
  EXPECT_EQ(per_row.sizes(), torch::IntArrayRef({3, 1}));
  EXPECT_EQ(values_of(per_row), (std::vector<float>{2.0f, 2.0f / 448.0f, 1.0f}));  // a zero row keeps 1
}

TEST(Fp8LinearTest, E4m3RoundingFollowsTheGrid) {
  // normal: 3 mantissa bits (step 0.125 in [1, 2), 32 in [256, 448]); ties to even; saturation at
  // 448; subnormals on a 2^-9 grid
  auto x = torch::tensor({1.0f, 1.0625f, 1.1f, 1.1875f, 300.0f, 440.0f, 1000.0f, -1000.0f, 0.001f, 0.0f, -3.3f,
                          0.0009765625f});
  EXPECT_EQ(values_of(e4m3_round(x)), (std::vector<float>{1.0f, 1.0f, 1.125f, 1.25f, 288.0f, 448.0f, 448.0f,
                                                          -448.0f, 0.001953125f, 0.0f, -3.25f, 0.0f}));
}

TEST(Fp8LinearTest, QuantizeClampsAndDequantizeStaysWithinHalfAStep) {
  torch::manual_seed(5);
  auto w = torch::randn({32, 64});
  for (auto scaling : {Fp8Scaling::kPerTensor, Fp8Scaling::kPerRow}) {
    auto s = fp8_scales(w, scaling);
    auto q = fp8_quantize_reference(w, s);
    EXPECT_LE(q.abs().max().item<float>(), 448.0f);
    EXPECT_EQ(q.abs().max().item<float>(), 448.0f);  // the amax lands on 448 exactly
    auto back = fp8_dequantize_reference(q, s);
    // relative error of a normal e4m3 value: at most half a step, 2^-4
    auto normal = (w / s).abs() >= std::ldexp(1.0, -6);
    auto rel = ((back - w).abs() / w.abs()).masked_select(normal);
    EXPECT_LE(rel.max().item<float>(), 1.0f / 16.0f + 1e-6f);
  }
  // outside the range: clamped to +-448 before rounding (a smaller scale than the amax needs)
  auto clamped = fp8_quantize_reference(torch::tensor({10.0f, -10.0f}), torch::tensor(0.01f));
  EXPECT_EQ(values_of(clamped), (std::vector<float>{448.0f, -448.0f}));
}

TEST(Fp8LinearTest, ReferenceRoundingMatchesTheFloat8Dtype) {
  if (!compat::kHasScaledMm) GTEST_SKIP() << "LibTorch " << compat::torch_version() << " has no float8 dtype";
  auto x = torch::linspace(-448.0, 448.0, 20001, torch::kFloat);
  x = torch::cat({x, torch::linspace(-0.02, 0.02, 4001, torch::kFloat)});
  EXPECT_TRUE(torch::equal(e4m3_round(x), compat::to_float8_e4m3(x).to(torch::kFloat)));
}

TEST(Fp8LinearTest, ValidateNamesWhatItNeeds) {
  Fp8LinearStrategy s;
  RunConfig cpu;
  EXPECT_EQ(s.validate("off", cpu), "");
  EXPECT_EQ(s.validate("per_tensor", cpu).rfind("fp8_linear needs SM90 and LibTorch 2.x CUDA", 0), 0u);
  EXPECT_EQ(s.validate("per_row", cpu).rfind("fp8_linear needs SM90 and LibTorch 2.x CUDA", 0), 0u);
  EXPECT_THROW(s.validate("per_block", cpu), UsageError);
  const auto info = strategy_info("fp8_linear");
  EXPECT_EQ(info.tier, Tier::kB);
  EXPECT_TRUE(info.cuda_only);
  EXPECT_EQ(info.values, (std::vector<std::string>{"off", "per_tensor", "per_row"}));
}

}  // namespace fp8_linear_test
}  // namespace ablate::opt
