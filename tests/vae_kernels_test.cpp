// The VAE's kernel seams (core/vae/vae_kernels.h) and vae_conv_padding: the seams reach every norm
// and causal conv, a declined call runs the core's ops, and padding inside the conv gives the
// reference's values within its declared bound. (vae_fused_norm's kernel is CUDA's: the registry's
// CUDA test runs it on and off.)
#include <gtest/gtest.h>

#include <iostream>

#include "core/video_hash.h"
#include "experiments/gate/baseline.h"
#include "optimizations/vae_conv_padding.h"
#include "optimizations/vae_fused_norm.h"

namespace ablate::opt {
namespace vae_kernels_test {

GenerateRequest tiny_request() {
  GenerateRequest r;
  r.geometry.size = "64*64";
  r.geometry.frames = 9;
  return r;
}

PipelineOptions tiny_options() {
  PipelineOptions o;
  o.model = preset("tiny");
  return o;
}

TEST(VaeKernelsTest, SeamsReachEveryNormAndCausalConvAndADeclinedCallRunsTheCore) {
  Pipeline p(tiny_options());
  const auto baseline = p.generate(tiny_request()).video;
  int64_t norms = 0, convs = 0, modules_norms = 0, modules_convs = 0;
  for (const auto& m : p.vae()->modules(false)) {
    modules_norms += dynamic_cast<vae::RmsNormImpl*>(m.get()) != nullptr;
    modules_convs += dynamic_cast<vae::CausalConv3dImpl*>(m.get()) != nullptr;
  }
  auto& k = p.seams().vae_kernels;
  k.norm_silu = [&](const torch::Tensor&, const torch::Tensor&, const torch::Tensor&, double, bool) {
    ++norms;
    return torch::Tensor();  // declined: the core's ops
  };
  k.causal_conv = [&](const torch::Tensor&, const torch::Tensor&, const torch::Tensor&, const std::array<int64_t, 3>&,
                      const std::array<int64_t, 3>&) {
    ++convs;
    return torch::Tensor();
  };
  const auto declined = p.generate(tiny_request()).video;
  EXPECT_TRUE(torch::equal(baseline, declined)) << "a declined seam must leave the core's bits";
  EXPECT_GT(norms, modules_norms) << "every norm is asked, once per call";
  EXPECT_GT(convs, modules_convs);
  // the encoder's and decoder's norms and causal convs (conv1/conv2 around the latent included)
  EXPECT_GE(modules_norms, 20);
  EXPECT_GE(modules_convs, 30);
}

TEST(VaeKernelsTest, NormSeamReplacesTheNormAndTheSiluAfterIt) {
  Pipeline p(tiny_options());
  const auto baseline = p.generate(tiny_request()).video;
  int64_t with_silu = 0, without = 0;
  // the seam's contract computed another way: x * (scale / ||x||) * gamma (+ bias), then SiLU
  p.seams().vae_kernels.norm_silu = [&](const torch::Tensor& x, const torch::Tensor& gamma, const torch::Tensor& bias,
                                        double scale, bool silu) {
    ++(silu ? with_silu : without);
    auto y = x * (scale / x.pow(2).sum(1, true).sqrt().clamp_min(1e-12)) * gamma;
    if (bias.defined()) y = y + bias;
    return silu ? torch::silu(y) : y;
  };
  const auto replaced = p.generate(tiny_request()).video;
  EXPECT_GT(with_silu, 0);
  EXPECT_GT(without, 0) << "the attention blocks' norms have no SiLU after them";
  const auto d = video_distance(video_to_uint8(baseline), video_to_uint8(replaced));
  EXPECT_GE(d.psnr_db, VaeFusedNormStrategy().info().min_psnr_db);
  EXPECT_LE(d.max_abs, 2);
}

TEST(VaeKernelsTest, ConvPaddingStaysWithinItsBoundAndCountsEveryPaddedConv) {
  Pipeline off(tiny_options());
  const auto baseline = video_to_uint8(off.generate(tiny_request()).video);
  Pipeline on(tiny_options());
  VaeConvPaddingStrategy s;
  s.install("on", on, InstallContext{});
  const auto video = video_to_uint8(on.generate(tiny_request()).video);
  const auto d = video_distance(baseline, video);
  std::cout << "[ vae_conv_padding ] on vs off on tiny 64x64x9 (CPU): PSNR " << d.psnr_db << " dB, max |diff| "
            << d.max_abs << " levels, " << s.counters()["convs"] << " convs\n";
  EXPECT_GE(d.psnr_db, s.info().min_psnr_db);
  EXPECT_LE(d.max_abs, 2);
  EXPECT_GT(s.counters()["convs"].get<int64_t>(), 30);
}

TEST(VaeKernelsTest, ConvPaddingMatchesThePaddedCopyOnOneConv) {
  torch::manual_seed(3);
  vae::CausalConv3d conv(vae::CausalConv3dOptions(4, 5, 3).padding(1));
  torch::NoGradGuard no_grad;
  conv->weight.uniform_(-0.3, 0.3);
  conv->bias.uniform_(-0.1, 0.1);
  const auto x = torch::randn({1, 4, 3, 6, 7});
  const auto cache = torch::randn({1, 4, 1, 6, 7});  // one cached frame: one zero frame still in front
  const auto reference = conv->forward(x, cache);
  Pipeline unused(tiny_options());
  VaeConvPaddingStrategy s;
  s.install("on", unused, InstallContext{});
  conv->kernels = &unused.seams().vae_kernels;
  const auto padded_inside = conv->forward(x, cache);
  ASSERT_EQ(padded_inside.sizes(), reference.sizes());
  EXPECT_TRUE(torch::allclose(padded_inside, reference, 1e-5, 1e-6));
  EXPECT_EQ(s.counters()["convs"].get<int64_t>(), 1);
}

}  // namespace vae_kernels_test
}  // namespace ablate::opt
