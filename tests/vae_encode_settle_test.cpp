// vae_encode_settle on the CPU (tiny preset, 81 frames = 20 zero groups, where the bitwise fixed
// point is never reached): both tolerances reuse the tail of the zero groups (1e-2 from group 17,
// 3e-2 from 14), the looser one from an earlier group; the output stays within the declared bound; counters and host reads add up;
// the relative cache change is 0 for equal caches, -1 for incomparable ones; bad values are named.
#include "optimizations/vae_encode_settle.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/video_hash.h"
#include "experiments/gate/baseline.h"
#include "experiments/gate/quality.h"
#include "optimizations/registry.h"

namespace ablate::opt {
namespace vae_encode_settle_test {

struct SettleRun {
  GenerateOutput out;
  nlohmann::json counters;
};

SettleRun run_with(const std::string& value) {
  PipelineOptions o;
  o.model = preset("tiny");
  Pipeline p(o);
  GenerateRequest r;
  r.geometry.frames = 81;
  r.geometry.height = 32;
  r.geometry.width = 32;
  VaeEncodeSettleStrategy s;
  s.install(value, p, InstallContext{r});
  SettleRun run;
  run.out = p.generate(r);
  run.counters = s.counters();
  return run;
}

TEST(VaeEncodeSettleTest, ReusesTheTailOfTheZeroGroupsWithinItsBound) {
  const SettleRun off = run_with("off");
  const SettleRun tight = run_with("1e-2");
  const SettleRun loose = run_with("3e-2");
  std::cout << "[ settle ] 1e-2: " << tight.counters.dump() << "\n[ settle ] 3e-2: " << loose.counters.dump() << "\n";
  const int64_t lat_f = off.out.geometry.lat_f;
  ASSERT_EQ(lat_f, 21);
  for (const SettleRun* run : {&tight, &loose}) {
    const auto& k = run->counters;
    const int64_t settle = k["settle_group"].get<int64_t>();
    ASSERT_GT(settle, 2);  // groups 1 and 2 differ in cache shapes: never reused
    EXPECT_LT(settle, lat_f);
    EXPECT_EQ(k["groups_reused"].get<int64_t>(), lat_f - settle);
    EXPECT_EQ(k["groups_encoded"].get<int64_t>(), settle);
    EXPECT_EQ(k["cache_checks"].get<int64_t>(), settle - 1);  // groups 2..settle
    EXPECT_EQ(k["encodes"], 1);
    EXPECT_LE(k["last_relative_change"].get<double>(), run == &tight ? 1e-2 : 3e-2);
    // one counted read per check that compared tensors (group 2's caches differ in shape)
    EXPECT_EQ(run->out.host_reads.of(HostReadSite::kOther) - off.out.host_reads.of(HostReadSite::kOther), settle - 2);
    // the declared bound (info()): final latents within 2 % relative L2, video >= 35 dB, frames >= 30 dB
    const auto ref_u8 = video_to_uint8(off.out.video), u8 = video_to_uint8(run->out.video);
    EXPECT_LE(relative_l2(off.out.latents, run->out.latents), 0.02);
    EXPECT_GE(video_distance(ref_u8, u8).psnr_db, 35.0);
    EXPECT_GE(min_frame_psnr_db(ref_u8, u8), 30.0);
  }
  EXPECT_LT(loose.counters["settle_group"].get<int64_t>(), tight.counters["settle_group"].get<int64_t>());
}

TEST(VaeEncodeSettleTest, RelativeChangeOfCaches) {
  using State = vae::CacheSlot::State;
  auto slot = [](State s, torch::Tensor t) { return vae::CacheSlot{s, t}; };
  const auto a = torch::ones({1, 2, 2, 3, 3});
  EXPECT_EQ(feature_cache_relative_change({slot(State::kTensor, a)}, {slot(State::kTensor, a.clone())}), 0.0);
  EXPECT_NEAR(feature_cache_relative_change({slot(State::kTensor, a * 1.01)}, {slot(State::kTensor, a)}), 0.01, 1e-6);
  EXPECT_EQ(feature_cache_relative_change({slot(State::kTensor, a)}, {slot(State::kTensor, torch::ones({1, 2, 1, 3, 3}))}), -1.0);
  EXPECT_EQ(feature_cache_relative_change({slot(State::kRep, {})}, {slot(State::kEmpty, {})}), -1.0);
}

TEST(VaeEncodeSettleTest, ValuesAndConflicts) {
  RunConfig config;
  VaeEncodeSettleStrategy s;
  EXPECT_EQ(s.validate("1e-2", config), "");
  config.values = {{"vae_encode_fixed_point", "on"}};
  EXPECT_EQ(s.validate("3e-2", config), "vae_encode_settle conflicts with vae_encode_fixed_point");
  try {
    s.validate("0.5", config);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "vae_encode_settle: unknown value '0.5' (expected off, 1e-2 or 3e-2)");
  }
  EXPECT_EQ(strategy_info("vae_encode_settle").tier, Tier::kB);
}

}  // namespace vae_encode_settle_test
}  // namespace ablate::opt
