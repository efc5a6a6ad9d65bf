// Precision: the two named precisions, the refusal of any other, and the one default rule
// (bf16 on CUDA, fp32 on the CPU) that the runner, the engine and `generate` share.
#include "core/precision.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace ablate {
namespace precision_test {

TEST(PrecisionTest, NamedPrecisionsAndTheirDtypes) {
  const Precision bf16 = Precision::for_name("bf16");
  EXPECT_EQ(bf16.param, torch::kBFloat16);
  EXPECT_EQ(bf16.compute, torch::kBFloat16);
  EXPECT_EQ(bf16.name(), "bf16");
  const Precision fp32 = Precision::for_name("fp32");
  EXPECT_EQ(fp32.compute, torch::kFloat);
  EXPECT_EQ(fp32.name(), "fp32");
  try {
    Precision::for_name("fp16");
    FAIL() << "fp16 was accepted";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "dtype: unknown value 'fp16'; valid values: fp32, bf16");
  }
}

TEST(PrecisionTest, DefaultIsBf16OnCudaAndFp32OnTheCpu) {
  EXPECT_EQ(Precision::resolve_name("", torch::Device(torch::kCUDA, 0)), "bf16");
  EXPECT_EQ(Precision::resolve_name("", torch::kCPU), "fp32");
  EXPECT_EQ(Precision::resolve_name("bf16", torch::kCPU), "bf16");  // a request wins
  EXPECT_EQ(Precision::resolve_name("fp32", torch::Device(torch::kCUDA, 0)), "fp32");
}

}  // namespace precision_test
}  // namespace ablate
