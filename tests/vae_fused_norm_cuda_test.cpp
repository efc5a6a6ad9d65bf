// GPU only: vae_fused_norm's kernel (optimizations/kernels/vae_norm_kernels.cu) against the core's
// RmsNorm (+ SiLU) it replaces: channels-last and contiguous, float32 and bf16, the VAE's widths,
// with and without a bias. Not bit for bit (the kernel sums in another order and rounds once): in
// float32 within float rounding, in bf16 within one bf16 step of the eager chain's many roundings.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "core/vae/rms_norm.h"
#if defined(ABLATE_CUDA_KERNELS)
#include "optimizations/kernels/fused_ops.h"
#endif

namespace ablate::opt {
namespace vae_fused_norm_cuda_test {

TEST(VaeFusedNormCudaTest, MatchesTheCoreNormAndSiluInEveryLayout) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
#if !defined(ABLATE_CUDA_KERNELS)
  GTEST_SKIP() << "built without the CUDA kernels";
#else
  const torch::Device cuda(torch::kCUDA, 0);
  torch::NoGradGuard no_grad;
  for (int64_t channels : {96, 192, 384, 3}) {
    for (bool images : {false, true}) {
      for (bool with_bias : {false, true}) {
        vae::RmsNorm norm(vae::RmsNormOptions(channels).images(images).bias(with_bias));
        norm->to(cuda);
        norm->gamma.uniform_(0.5, 1.5);
        if (with_bias) norm->bias.uniform_(-0.2, 0.2);
        const auto shape = images ? std::vector<int64_t>{2, channels, 7, 9} : std::vector<int64_t>{1, channels, 3, 7, 9};
        const auto format = images ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::ChannelsLast3d;
        for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
          norm->to(dtype);
          auto x = (torch::randn(shape, torch::TensorOptions().device(cuda)) * 3).to(dtype);
          x.select(images ? 2 : 3, 0).zero_();  // all-zero positions stay zero (the 1e-12 clamp)
          for (bool channels_last : {false, true}) {
            const auto in = channels_last ? x.contiguous(format) : x.contiguous();
            for (bool silu : {false, true}) {
              const std::string what = "C=" + std::to_string(channels) + (images ? " images" : " video") +
                                        (with_bias ? " bias" : "") + (dtype == torch::kFloat ? " f32" : " bf16") +
                                        (channels_last ? " channels-last" : " contiguous") + (silu ? " silu" : "");
              const auto fused = kernels::fused_vae_norm_silu(in, norm->gamma, norm->bias, std::sqrt(double(channels)), silu);
              ASSERT_TRUE(fused.defined()) << what << ": the kernel declined";
              EXPECT_EQ(fused.scalar_type(), dtype) << what;
              EXPECT_EQ(fused.is_contiguous(format), in.is_contiguous(format)) << what << ": the layout changed";
              const auto eager = norm->forward(in, silu).to(torch::kFloat);
              const auto diff = (fused.to(torch::kFloat) - eager).abs();
              // bf16: one step near the largest values (|y| <= ~8 here: 2^-8 * 8 = 0.03) and the
              // eager chain's own roundings; float32: rounding only
              const double tolerance = dtype == torch::kFloat ? 1e-5 : 0.07;
              EXPECT_LE(diff.max().item<double>(), tolerance) << what;
              if (!with_bias)  // x = 0 there: 0 / max(0, 1e-12) = 0, and SiLU(0) = 0
                EXPECT_EQ(fused.select(images ? 2 : 3, 0).abs().max().item<double>(), 0.0) << what;
            }
          }
        }
      }
    }
  }
  // half precision and strided views are left to the eager ops
  auto h = torch::randn({1, 8, 2, 3, 3}, torch::TensorOptions().device(cuda).dtype(torch::kHalf));
  EXPECT_FALSE(kernels::fused_vae_norm_silu(h, torch::ones({8, 1, 1, 1}, h.options()), {}, 1.0, false).defined());
  auto f = torch::randn({1, 8, 2, 3, 6}, torch::TensorOptions().device(cuda)).slice(4, 0, 6, 2);
  EXPECT_FALSE(kernels::fused_vae_norm_silu(f, torch::ones({8, 1, 1, 1}, f.options()), {}, 1.0, false).defined());
#endif
}

}  // namespace vae_fused_norm_cuda_test
}  // namespace ablate::opt
