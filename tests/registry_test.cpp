// The registry, iterated: every value of every strategy in registry.def is run ON against the
// baseline (OFF) on the tiny preset, so adding a strategy adds its equivalence test. Tier A must
// keep the MD5; tier B must stay within its declared bound. Values that need a CUDA device run in
// registry_cuda_test.cpp; values that need world > 1 run here at two Gloo ranks.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/io/npy.h"
#include "core/video_hash.h"
#include "experiments/gate/baseline.h"
#include "experiments/gate/gate.h"
#include "experiments/gate/quality.h"
#include "experiments/runner/combinations.h"
#include "experiments/runner/engine.h"
#include "optimizations/registry.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace registry_test {

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

// The setting with what it requires switched on (e.g. cuda_graph needs sync_elim).
StrategyValues with_requirements(const Setting& s) {
  StrategyValues values{{s.name, s.value}};
  for (const auto& r : opt::strategy_info(s.name).requires_on) values[r] = opt::strategy_info(r).values.back();
  return values;
}

// One chunk of the tiny preset at 32x32: the whole schedule of a chunk (4 steps + refresh) in a
// fraction of a second.
Workload small_workload() {
  Workload w;
  w.size = "32*32";
  w.frames = 9;
  return w;
}

struct Output {
  std::string md5;
  torch::Tensor video;
  torch::Tensor latents;
};

Output run(const StrategyValues& values, int generates = 2) {
  const Workload w = small_workload();
  Engine engine(w, torch::kCPU, nullptr, values);
  engine.build();
  const GenerateRequest request = make_request(w, 1, 0);
  engine.install(0, values, request);
  engine.use(0);
  Output out;
  for (int i = 0; i < generates; ++i) {  // twice: caches and graphs hit on the second request
    auto result = engine.pipeline().generate(request);
    auto video = video_to_uint8(result.video);
    out.md5 = tensor_md5(video);
    out.video = video;
    out.latents = result.latents;
  }
  return out;
}

const Output& baseline() {
  static const Output out = run({});
  return out;
}

// "name_value" with anything but letters and digits as '_' (test names, scratch folders)
std::string setting_name_of(const Setting& s) {
  std::string n = s.name + "_" + s.value;
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

class RegistryTest : public ::testing::TestWithParam<Setting> {};

TEST_P(RegistryTest, OnAgainstOffOnTheCpu) {
  const Setting& s = GetParam();
  const auto info = opt::strategy_info(s.name);
  const StrategyValues values = with_requirements(s);
  opt::RunConfig here;
  here.device = torch::kCPU;
  const Combination c = make_combination(values, here);
  if (info.cuda_only) GTEST_SKIP() << s.name << " runs only on CUDA: registry_cuda_test.cpp covers it";
  if (info.needs_world) {
    // two Gloo ranks, against the same two ranks without it; rank 0 dumps its video and latents
    const std::string dir = testing::fresh_dir("registry-world-" + setting_name_of(s));
    auto cmd = [&](const std::string& set, const std::string& dump) {
      return testing::run_ablate("launch --nproc 2 -- generate --preset tiny --size 32*32 --frames 9 " + set +
                                 " --dump-intermediates " + dir + "/" + dump);
    };
    const auto off = cmd("", "off"), on = cmd("--set " + s.name + "=" + s.value, "on");
    ASSERT_EQ(off.exit_code, 0) << off.output;
    ASSERT_EQ(on.exit_code, 0) << on.output;
    if (info.tier == opt::Tier::kA) {
      EXPECT_EQ(testing::printed_md5(on.output), testing::printed_md5(off.output)) << on.output;
      return;
    }
    const auto video = [&](const std::string& d) { return video_to_uint8(io::read_npy(dir + "/" + d + "/video.npy")); };
    const auto latents = [&](const std::string& d) { return io::read_npy(dir + "/" + d + "/latents.npy"); };
    const auto bound = tier_b_bound(values);
    const auto d = video_distance(video("off"), video("on"));
    std::cout << "[ tier B ] " << s.name << "=" << s.value << " at 2 ranks: PSNR " << d.psnr_db << " dB, max |diff| "
              << d.max_abs << "\n";
    EXPECT_GE(d.psnr_db, bound.min_psnr_db) << s.name << "=" << s.value;
    EXPECT_LE(d.max_abs, bound.max_abs_u8) << s.name << "=" << s.value;
    EXPECT_GE(min_frame_psnr_db(video("off"), video("on")), bound.min_frame_psnr_db) << s.name << "=" << s.value;
    EXPECT_LE(relative_l2(latents("off"), latents("on")), bound.max_latent_rel_l2) << s.name << "=" << s.value;
    return;
  }
  // a value that needs what this machine lacks (CUDA, an SM90 GPU, a newer LibTorch) says so
  if (c.skip_reason.find(" needs ") != std::string::npos) GTEST_SKIP() << c.skip_reason;
  ASSERT_EQ(c.skip_reason, "") << s.name << "=" << s.value << " should run on the CPU at world 1";
  const Output on = run(values);
  if (info.tier == opt::Tier::kA) {
    EXPECT_EQ(on.md5, baseline().md5) << s.name << "=" << s.value << " is tier A but changed the output";
    return;
  }
  const auto bound = tier_b_bound(values);
  const auto d = video_distance(baseline().video, on.video);
  const double frame_psnr = min_frame_psnr_db(baseline().video, on.video);
  const double rel_l2 = relative_l2(baseline().latents, on.latents);
  std::cout << "[ tier B ] " << s.name << "=" << s.value << ": PSNR " << d.psnr_db << " dB, max |diff| " << d.max_abs
            << ", worst frame " << frame_psnr << " dB, latent rel L2 " << rel_l2 << "\n";
  EXPECT_GE(d.psnr_db, bound.min_psnr_db) << s.name << "=" << s.value;
  EXPECT_LE(d.max_abs, bound.max_abs_u8) << s.name << "=" << s.value;
  EXPECT_GE(frame_psnr, bound.min_frame_psnr_db) << s.name << "=" << s.value;
  EXPECT_LE(rel_l2, bound.max_latent_rel_l2) << s.name << "=" << s.value;
}

std::string setting_name(const ::testing::TestParamInfo<Setting>& p) { return setting_name_of(p.param); }

INSTANTIATE_TEST_SUITE_P(EveryStrategy, RegistryTest, ::testing::ValuesIn(every_setting()), setting_name);

TEST(RegistryListTest, EveryEntryDescribesItself) {
  const auto names = opt::strategy_names();
  ASSERT_FALSE(names.empty());
  for (const auto& n : names) {
    const auto i = opt::strategy_info(n);
    EXPECT_EQ(i.name, n);
    EXPECT_GE(i.values.size(), 2u) << n;
    EXPECT_FALSE(i.description.empty()) << n;
    for (const auto& r : i.requires_on) EXPECT_NO_THROW(opt::strategy_info(r)) << n << " requires " << r;
    const std::string row = "| " + n + " | " + c10::Join(", ", i.values) + " | " + opt::tier_name(i.tier) + " |";
    EXPECT_NE(opt::strategy_table_markdown().find(row), std::string::npos) << row;
  }
  try {
    opt::make_strategy("warp_drive");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("valid strategies: " + names.front()), std::string::npos);
  }
}

}  // namespace registry_test
}  // namespace ablate
