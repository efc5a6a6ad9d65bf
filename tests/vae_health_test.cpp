// Activation health of the seeded VAE: every stage finite with std in [0.05, 20], and the decoded
// video not saturated, at the tiny preset and at the real Wan2.1 structure (dim 96, small frames).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/seeded_init.h"
#include "core/vae/wan_vae.h"
#include "tests/vae_test_util.h"

namespace ablate {
namespace vae_health_test {

using vae_test::StageStats;

struct DecodeStats {
  StageStats stages;
  double pre_clamp_std = 0;
  double saturated = 0;  // fraction of pre-clamp |x| >= 1 (these become +-1 after the clamp)
};

DecodeStats decode_with_stats(vae::WanVaeImpl& v, const torch::Tensor& latent) {
  DecodeStats s;
  auto stage_probe = s.stages.probe();
  std::vector<torch::Tensor> heads;
  vae::DecodeSession session(v, [&](const std::string& stage, const torch::Tensor& x) {
    stage_probe(stage, x);
    if (stage == "decoder.head") heads.push_back(x);
  });
  session.push(latent);
  const auto video = torch::cat(heads, 2);
  s.pre_clamp_std = video.std().item<double>();
  s.saturated = (video.abs() >= 1.0).to(torch::kFloat).mean().item<double>();
  return s;
}

// Encode a smooth video, decode it back, and decode N(0, 1) latents (what a DiT hands the VAE).
void check_health(vae::WanVaeImpl& v, int64_t frames, int64_t size, const std::string& label) {
  StageStats enc;
  vae::EncodeSession session(v, enc.probe());
  const auto latent = session.push(vae_test::test_video(frames, size, size));
  enc.print(label + " encode");
  EXPECT_TRUE(enc.finite);
  EXPECT_GE(enc.min_std(), 0.05);
  EXPECT_LE(enc.max_std(), 20.0);

  auto gen = at::detail::createCPUGenerator(5);
  for (const auto& [name, z] :
       {std::make_pair(std::string("round trip"), latent),
        std::make_pair(std::string("N(0,1) latent"), torch::randn(latent.sizes(), gen))}) {
    const auto d = decode_with_stats(v, z);
    d.stages.print(label + " decode " + name);
    std::cout << "    pre-clamp std " << d.pre_clamp_std << ", saturated " << d.saturated << "\n";
    EXPECT_TRUE(d.stages.finite) << name;
    EXPECT_GE(d.stages.min_std(), 0.05) << name;
    EXPECT_LE(d.stages.max_std(), 20.0) << name;
    EXPECT_GE(d.pre_clamp_std, 0.2) << name;
    EXPECT_LE(d.pre_clamp_std, 0.7) << name;
    EXPECT_LT(d.saturated, 0.05) << name;
  }
}

TEST(WanVaeHealthTest, TinyPresetActivationsHealthy) {
  for (uint64_t seed : {1, 2, 3}) {
    auto v = vae_test::make_tiny_vae(seed);
    check_health(*v, 9, 32, "tiny seed " + std::to_string(seed));
  }
}

// The real structure: 126.9M parameters (dim 96). init_parameters' integer hash takes ~20 s for
// that many on 2 cores, so this test draws the same per-parameter distributions (vae_init_rule's
// specs) from torch's generator instead; the hash path itself is covered at the tiny size.
TEST(WanVaeHealthTest, Wan21StructureActivationsHealthy) {
  torch::NoGradGuard no_grad;
  vae::WanVae v{vae::WanVaeOptions()};  // dim 96, z 16, mult {1, 2, 4, 4}
  int64_t count = 0;
  auto gen = at::detail::createCPUGenerator(11);
  for (const auto& p : v->named_parameters()) {
    const InitSpec spec = vae::vae_init_rule(p.key(), p.value());
    count += p.value().numel();
    if (spec.kind == InitSpec::Kind::kConstant) {
      p.value().fill_(spec.value);
    } else {
      const double a = spec.std * std::sqrt(3.0);
      p.value().uniform_(-a, a, gen);
    }
  }
  // Our count for the Wan2.1 VAE; 4 bytes each is 507.57 MB, in line with the 507.6 MB
  // Wan2.1_VAE.pth (not checked against the file here).
  EXPECT_EQ(count, 126892531);
  v->eval();
  check_health(*v, 5, 16, "Wan2.1 dim 96");
}

}  // namespace vae_health_test
}  // namespace ablate
