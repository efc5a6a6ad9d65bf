// attention_backend: validate() names what a value needs (CUDA; a LibTorch with SDPA), the math
// backend runs everywhere (on LibTorch 1.13 it is the core's own path: MD5 as without it), the
// seam sees every self- and cross-attention of the DiT, and compat's backend switch computes
// softmax(q k^T * scale) v.
#include "optimizations/attention_backend.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/video_hash.h"
#include "optimizations/registry.h"

namespace ablate::opt {
namespace attention_backend_test {

struct BackendRun {
  std::string md5;
  GenerateOutput out;
  nlohmann::json counters;
};

BackendRun run_with(const std::string& value) {
  PipelineOptions o;
  o.model = preset("tiny");
  Pipeline p(o);
  GenerateRequest r;
  r.geometry.frames = 9;  // one chunk
  r.geometry.height = 32;
  r.geometry.width = 32;
  AttentionBackendStrategy s;
  s.install(value, p, InstallContext{r});
  BackendRun run;
  run.out = p.generate(r);
  run.md5 = tensor_md5(video_to_uint8(run.out.video));
  run.counters = s.counters();
  return run;
}

TEST(AttentionBackendTest, MathOnAgainstOffOnTheCpu) {
  const BackendRun off = run_with("off");
  const BackendRun math = run_with("math");
  const int64_t blocks = preset("tiny").dit.num_layers();
  EXPECT_EQ(math.counters["self_attention_calls"], blocks * off.out.dit_forwards);
  EXPECT_EQ(math.counters["cross_attention_calls"], blocks * off.out.dit_forwards);
  EXPECT_EQ(off.counters["self_attention_calls"], 0);
  if (!compat::kHasSdpa) {
    EXPECT_EQ(math.md5, off.md5);  // LibTorch 1.13: the math path is the core's own
  } else {
    EXPECT_LT((math.out.latents - off.out.latents).abs().max().item<double>(), 1e-3);
  }
}

TEST(AttentionBackendTest, ValidateNamesWhatAValueNeeds) {
  AttentionBackendStrategy s;
  RunConfig cpu;
  EXPECT_EQ(s.validate("off", cpu), "");
  EXPECT_EQ(s.validate("math", cpu), "");
  for (const char* v : {"flash", "efficient", "cudnn"})
    EXPECT_EQ(s.validate(v, cpu).rfind(std::string("attention_backend=") + v + " needs CUDA", 0), 0u) << v;
  RunConfig gpu;
  gpu.device = torch::Device(torch::kCUDA, 0);
  if (!compat::kHasSdpa) {
    EXPECT_NE(s.validate("flash", gpu).find("needs LibTorch >= 2.1"), std::string::npos);
  } else {
    EXPECT_EQ(s.validate("flash", gpu), "");
  }
  EXPECT_THROW(sdpa_backend_named("fastest"), UsageError);
  const auto info = strategy_info("attention_backend");
  EXPECT_EQ(info.tier, Tier::kB);
  EXPECT_EQ(info.values, (std::vector<std::string>{"off", "math", "efficient", "cudnn", "flash"}));
}

TEST(AttentionBackendTest, CompatMathBackendIsSoftmaxAttention) {
  torch::manual_seed(3);
  auto q = torch::randn({1, 2, 5, 8}), k = torch::randn({1, 2, 7, 8}), v = torch::randn({1, 2, 7, 8});
  const double scale = 0.25;
  auto expected = torch::matmul(torch::softmax(torch::matmul(q, k.transpose(-2, -1)) * scale, -1), v);
  auto got = compat::attention_bhld_with(compat::SdpaBackend::kMath, q, k, v, scale);
  EXPECT_TRUE(torch::allclose(got, expected, 1e-5, 1e-6));
  EXPECT_TRUE(torch::equal(compat::attention_bhld_with(compat::SdpaBackend::kDefault, q, k, v, scale),
                           compat::attention_bhld(q, k, v, scale)));
  if (!compat::kHasSdpa) {
    EXPECT_THROW(compat::attention_bhld_with(compat::SdpaBackend::kFlash, q, k, v, scale), c10::Error);
  }
}

}  // namespace attention_backend_test
}  // namespace ablate::opt
