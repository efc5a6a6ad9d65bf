// The registry, iterated on a CUDA device (CUDA builds only): every value of every strategy that
// can run on one GPU is run ON against the baseline (OFF) on the tiny preset in bf16. Tier A must
// keep the MD5 (every request of two, so caches and graphs replay); tier B must stay within its
// declared bound. Values that need world > 1 are left to the multi-GPU runs.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "core/video_hash.h"
#include "experiments/gate/baseline.h"
#include "experiments/gate/gate.h"
#include "experiments/gate/quality.h"
#include "experiments/runner/combinations.h"
#include "experiments/runner/engine.h"
#include "optimizations/registry.h"

namespace ablate {
namespace registry_cuda_test {

struct Setting {
  std::string name, value;
};
void PrintTo(const Setting& s, std::ostream* os) { *os << s.name << "=" << s.value; }

std::vector<Setting> every_setting() {
  std::vector<Setting> out;
  for (const auto& name : opt::strategy_names()) {
    const auto values = opt::strategy_info(name).values;
    for (size_t i = 1; i < values.size(); ++i) out.push_back({name, values[i]});
  }
  return out;
}

StrategyValues with_requirements(const Setting& s) {
  StrategyValues values{{s.name, s.value}};
  for (const auto& r : opt::strategy_info(s.name).requires_on) values[r] = opt::strategy_info(r).values.back();
  return values;
}

Workload cuda_workload() {
  Workload w;
  w.device = "cuda";
  w.frames = 17;  // two chunks: the second one replays what the first captured or cached
  return w;
}

struct Output {
  std::string md5;
  torch::Tensor video;
  torch::Tensor latents;
};

Output run(const StrategyValues& values) {
  const Workload w = cuda_workload();
  Engine engine(w, torch::Device(torch::kCUDA, 0), nullptr, values);
  engine.build();
  const GenerateRequest request = make_request(w, 1, 0);
  engine.install(0, values, request);
  engine.use(0);
  Output out;
  for (int i = 0; i < 2; ++i) {
    auto result = engine.pipeline().generate(request);
    auto video = video_to_uint8(result.video);
    out.md5 = tensor_md5(video);
    out.video = video;
    out.latents = result.latents.cpu();
  }
  return out;
}

class RegistryCudaTest : public ::testing::TestWithParam<Setting> {};

TEST_P(RegistryCudaTest, OnAgainstOffOnOneGpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const Setting& s = GetParam();
  const auto info = opt::strategy_info(s.name);
  if (info.needs_world) GTEST_SKIP() << s.name << " needs world size > 1";
  const StrategyValues values = with_requirements(s);
  opt::RunConfig here;
  here.device = torch::Device(torch::kCUDA, 0);
  const Combination c = make_combination(values, here);
  // a value that needs what this GPU or build lacks (SM90, a newer LibTorch) says so
  if (c.skip_reason.find(" needs ") != std::string::npos) GTEST_SKIP() << c.skip_reason;
  ASSERT_EQ(c.skip_reason, "") << s.name << "=" << s.value;
  static const Output baseline = run({});
  const Output on = run(values);
  if (info.tier == opt::Tier::kA) {
    EXPECT_EQ(on.md5, baseline.md5) << s.name << "=" << s.value << " is tier A but changed the output";
    return;
  }
  const auto bound = tier_b_bound(values);
  const auto d = video_distance(baseline.video, on.video);
  const double frame_psnr = min_frame_psnr_db(baseline.video, on.video);
  const double rel_l2 = relative_l2(baseline.latents, on.latents);
  std::cout << "[ tier B ] " << s.name << "=" << s.value << ": PSNR " << d.psnr_db << " dB, max |diff| " << d.max_abs
            << ", worst frame " << frame_psnr << " dB, latent rel L2 " << rel_l2 << " (bound " << bound.min_psnr_db
            << " dB, " << bound.max_abs_u8 << ", " << bound.min_frame_psnr_db << " dB, " << bound.max_latent_rel_l2
            << ")\n";
  EXPECT_GE(d.psnr_db, bound.min_psnr_db) << s.name << "=" << s.value;
  EXPECT_LE(d.max_abs, bound.max_abs_u8) << s.name << "=" << s.value;
  EXPECT_GE(frame_psnr, bound.min_frame_psnr_db) << s.name << "=" << s.value;
  EXPECT_LE(rel_l2, bound.max_latent_rel_l2) << s.name << "=" << s.value;
}

std::string setting_name(const ::testing::TestParamInfo<Setting>& p) {
  std::string n = p.param.name + "_" + p.param.value;
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(EveryStrategy, RegistryCudaTest, ::testing::ValuesIn(every_setting()), setting_name);

}  // namespace registry_cuda_test
}  // namespace ablate
