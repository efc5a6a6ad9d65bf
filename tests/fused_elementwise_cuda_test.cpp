// GPU only: the hand-written kernels (optimizations/kernels/) against the eager ops they replace,
// bit for bit, at the 14b block's width and at odd shapes (padding tokens, a broadcast e0, two
// requests), and fused_elementwise ON against OFF on the tiny preset (same MD5, every call fused).
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "core/compat.h"
#include "core/dit/norms.h"
#include "core/dit/rope.h"
#include "core/video_hash.h"
#include "optimizations/fp8_linear.h"
#include "optimizations/registry.h"
#if defined(ABLATE_CUDA_KERNELS)
#include "optimizations/kernels/fused_ops.h"
#endif

namespace ablate::opt {
namespace fused_elementwise_cuda_test {

#if defined(ABLATE_CUDA_KERNELS)
using namespace kernels;

const torch::Device kCuda(torch::kCUDA, 0);
torch::TensorOptions f32() { return torch::TensorOptions().device(kCuda).dtype(torch::kFloat); }

// [B, L, 6, dim] e0 and the bf16 [1, 6, dim] modulation parameter, at a DiT's magnitudes
std::pair<torch::Tensor, torch::Tensor> modulation_inputs(int64_t b, int64_t l, int64_t dim) {
  return {torch::randn({b, l, 6, dim}, f32()) * 0.3, (torch::randn({1, 6, dim}, f32()) * 0.05).to(torch::kBFloat16)};
}

torch::Tensor chunk(const torch::Tensor& modulation, const torch::Tensor& e0, int64_t i) {
  return (modulation.to(torch::kFloat).unsqueeze(0) + e0).chunk(6, 2)[i].squeeze(2);
}

void expect_bits(const torch::Tensor& fused, const torch::Tensor& eager, const std::string& what) {
  ASSERT_TRUE(fused.defined()) << what << ": the kernel declined";
  ASSERT_EQ(fused.scalar_type(), eager.scalar_type()) << what;
  ASSERT_EQ(fused.sizes(), eager.sizes()) << what;
  const auto differ = fused.ne(eager).sum().item<int64_t>();
  EXPECT_EQ(differ, 0) << what << ": " << differ << " of " << eager.numel() << " values differ";
}

TEST(FusedElementwiseCudaTest, ModulateGatedResidualAndCamModulateHaveTheEagerBits) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (auto [b, l, dim] : {std::tuple<int64_t, int64_t, int64_t>{1, 1131, 5120}, {2, 37, 64}}) {
    const std::string shape = std::to_string(b) + "x" + std::to_string(l) + "x" + std::to_string(dim);
    auto [e0, modulation] = modulation_inputs(b, l, dim);
    auto normed = torch::randn({b, l, dim}, f32());
    for (int64_t s : {0, 3}) {
      auto eager = normed * (1 + chunk(modulation, e0, s + 1)) + chunk(modulation, e0, s);
      expect_bits(fused_modulate(normed, modulation, e0, s, torch::kFloat), eager, "modulate f32 " + shape);
      expect_bits(fused_modulate(normed, modulation, e0, s, torch::kBFloat16), eager.to(torch::kBFloat16),
                  "modulate bf16 " + shape);
    }
    // the first block's input is bf16 (the norm returns it in bf16)
    auto normed16 = normed.to(torch::kBFloat16);
    expect_bits(fused_modulate(normed16, modulation, e0, 0, torch::kBFloat16),
                (normed16.to(torch::kFloat) * (1 + chunk(modulation, e0, 1)) + chunk(modulation, e0, 0))
                    .to(torch::kBFloat16),
                "modulate from bf16 " + shape);

    auto x = torch::randn({b, l, dim}, f32()) * 4;
    auto y = torch::randn({b, l, dim}, f32()).to(torch::kBFloat16);
    for (int64_t g : {2, 5}) expect_bits(fused_gated_residual(x, y, modulation, e0, g), x + y * chunk(modulation, e0, g), "gated " + shape);
    expect_bits(fused_gated_residual(x.to(torch::kBFloat16), y, modulation, e0, 2),
                x.to(torch::kBFloat16) + y * chunk(modulation, e0, 2), "gated from bf16 x " + shape);

    auto scale = (torch::randn({b, l, dim}, f32()) * 0.2).to(torch::kBFloat16);
    auto shift = torch::randn({b, l, dim}, f32()).to(torch::kBFloat16);
    expect_bits(fused_cam_modulate(x, scale, shift), (1.0 + scale) * x + shift, "cam bf16 " + shape);
    auto scale32 = scale.to(torch::kFloat), shift32 = shift.to(torch::kFloat);
    expect_bits(fused_cam_modulate(x, scale32, shift32), (1.0 + scale32) * x + shift32, "cam f32 " + shape);
  }
  // a broadcast e0 (timestep_embed_once): stride 0 over tokens
  auto [e0_row, modulation] = modulation_inputs(1, 1, 64);
  auto e0 = e0_row.expand({1, 50, 6, 64});
  auto normed = torch::randn({1, 50, 64}, f32());
  expect_bits(fused_modulate(normed, modulation, e0, 0, torch::kFloat),
              normed * (1 + chunk(modulation, e0, 1)) + chunk(modulation, e0, 0), "modulate, broadcast e0");
}

TEST(FusedElementwiseCudaTest, RmsNormHasTheEagerBits) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  for (auto dtype : {torch::kBFloat16, torch::kFloat}) {
    for (auto [b, l, dim] : {std::tuple<int64_t, int64_t, int64_t>{1, 4524, 5120}, {2, 33, 64}}) {
      torch::NoGradGuard no_grad;
      dit::WanRmsNorm norm{dit::WanRmsNormOptions(dim)};
      norm->to(kCuda, dtype);
      norm->weight.copy_(torch::rand({dim}, f32()) + 0.5);
      auto x = (torch::randn({b, l, dim}, f32()) * 2).to(dtype);
      const std::string what = std::string("rms_norm ") + (dtype == torch::kFloat ? "f32 " : "bf16 ") + std::to_string(dim);
      expect_bits(fused_rms_norm(x, norm->weight, norm->options.eps()), norm(x), what);
      // one element off 16-byte alignment: the kernels' element-wise path
      auto shifted = (torch::randn({b * l * dim + 1}, f32()) * 2).to(dtype).narrow(0, 1, b * l * dim).view({b, l, dim});
      expect_bits(fused_rms_norm(shifted, norm->weight, norm->options.eps()), norm(shifted), what + " unaligned");
    }
  }
  {  // a width that is no multiple of a bf16 pack (8)
    torch::NoGradGuard no_grad;
    dit::WanRmsNorm norm{dit::WanRmsNormOptions(12)};
    norm->to(kCuda, torch::kBFloat16);
    auto x = torch::randn({1, 9, 12}, f32()).to(torch::kBFloat16);
    expect_bits(fused_rms_norm(x, norm->weight, norm->options.eps()), norm(x), "rms_norm bf16 12");
  }
  // a float32 weight on bf16 input promotes: left to the eager ops
  auto x = torch::randn({1, 4, 64}, f32()).to(torch::kBFloat16);
  EXPECT_FALSE(fused_rms_norm(x, torch::ones({64}, f32()), 1e-6).defined());
}

TEST(FusedElementwiseCudaTest, RopeHasTheEagerBits) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto freqs = dit::rope_table(128, 1024).to(kCuda);
  // 14b's heads at 464x832 (3 latent frames of 29x52), from frame 6; then padding tokens
  for (auto [grid, tokens, start] : {std::tuple<std::array<int64_t, 3>, int64_t, int64_t>{{3, 29, 52}, 4524, 6},
                                     {{1, 5, 7}, 40, 0}}) {
    auto x = (torch::randn({1, tokens, 40, 128}, f32()) * 3).to(torch::kBFloat16);
    expect_bits(fused_rope(x, grid, freqs, start), dit::causal_rope_apply(x, grid, freqs, start),
                "rope bf16, " + std::to_string(tokens) + " tokens");
    auto x32 = x.to(torch::kFloat);
    expect_bits(fused_rope(x32, grid, freqs, start), dit::causal_rope_apply(x32, grid, freqs, start),
                "rope f32, " + std::to_string(tokens) + " tokens");
  }
  // head_dim 12: 6 pairs per head, no multiple of a bf16 pack's 4 pairs (the pair-wise path), and
  // an input one element off 16-byte alignment
  auto small = dit::rope_table(12, 64).to(kCuda);
  auto x12 = (torch::randn({2, 30, 3, 12}, f32()) * 3).to(torch::kBFloat16);
  expect_bits(fused_rope(x12, {2, 3, 4}, small, 1), dit::causal_rope_apply(x12, {2, 3, 4}, small, 1), "rope bf16, head_dim 12");
  auto shifted = (torch::randn({1 * 40 * 40 * 128 + 1}, f32()) * 3).narrow(0, 1, 40 * 40 * 128).view({1, 40, 40, 128});
  expect_bits(fused_rope(shifted, {1, 5, 7}, freqs, 2), dit::causal_rope_apply(shifted, {1, 5, 7}, freqs, 2),
              "rope f32, unaligned");
  // out of the table: declined, so the eager code throws its own message
  auto x = torch::zeros({1, 4, 2, 128}, f32());
  EXPECT_FALSE(fused_rope(x, {1, 2, 2}, freqs, 1024).defined());
}

TEST(FusedElementwiseCudaTest, Fp8QuantizeHasTheEagerBits) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto x = (torch::randn({333, 1536}, f32()) * torch::rand({333, 1}, f32()) * 10).to(torch::kBFloat16);
  x[7].zero_();  // an all-zero row keeps scale 1
  auto x2 = x.to(torch::kFloat);
  for (auto scaling : {Fp8Scaling::kPerRow, Fp8Scaling::kPerTensor}) {
    const bool per_row = scaling == Fp8Scaling::kPerRow;
    auto sx = fp8_scales(x2, scaling);
    auto eager = compat::to_float8_e4m3((x2 / sx).clamp(-kE4m3Max, kE4m3Max));
    auto [q, scale] = fused_fp8_quantize(x, per_row, per_row ? torch::Tensor() : fp8_scales(x, scaling));
    ASSERT_TRUE(q.defined());
    expect_bits(scale, sx, per_row ? "fp8 row scales" : "fp8 tensor scale");
    expect_bits(q.view(torch::kUInt8), eager.view(torch::kUInt8), per_row ? "fp8 per row" : "fp8 per tensor");
  }
}
#endif

TEST(FusedElementwiseCudaTest, TinyPresetKeepsTheMd5WithEveryChainFused) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
#if !defined(ABLATE_CUDA_KERNELS)
  GTEST_SKIP() << "built without the CUDA kernels";
#else
  auto run = [](bool fused, nlohmann::json* counters) {
    PipelineOptions o;
    o.model = preset("tiny");
    o.device = torch::Device(torch::kCUDA, 0);
    o.precision = Precision::for_name("bf16");
    Pipeline p(o);
    GenerateRequest r;
    r.geometry.frames = 17;
    auto s = make_strategy("fused_elementwise");
    s->install(fused ? "on" : "off", p, InstallContext{r});
    auto out = p.generate(r);
    if (counters) *counters = s->counters();
    return std::make_tuple(tensor_md5(video_to_uint8(out.video)), out.latents.cpu(), out.dit_forwards);
  };
  nlohmann::json k;
  const auto off = run(false, nullptr);
  const auto on = run(true, &k);
  std::cout << "[ fused_elementwise ] counters " << k.dump() << "\n";
  EXPECT_EQ(std::get<0>(on), std::get<0>(off));
  EXPECT_TRUE(torch::equal(std::get<1>(on), std::get<1>(off)));
  const int64_t block_calls = std::get<2>(on) * 3;  // forwards x tiny's 3 blocks
  EXPECT_EQ(k["modulate"], 2 * block_calls);
  EXPECT_EQ(k["gated_residual"], 2 * block_calls);
  EXPECT_EQ(k["cam_modulate"], block_calls);
  EXPECT_EQ(k["rope"], 2 * block_calls);
  EXPECT_GE(k["rms_norm"], 3 * block_calls);
  EXPECT_EQ(k["eager_calls"], 0);
#endif
}

}  // namespace fused_elementwise_cuda_test
}  // namespace ablate::opt
