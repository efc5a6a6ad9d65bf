// step_cache on the CPU (tiny preset, two chunks): threshold 0 checks every step after a chunk's
// first and skips none (MD5 as without it); a threshold no change reaches skips every checked
// step (3 of each chunk's 5 forwards: never step 0, never the refresh), each decision one counted
// host read; validate() reasons and value parsing.
#include "optimizations/step_cache.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/video_hash.h"
#include "optimizations/registry.h"
#include "tiny_request_util.h"

namespace ablate::opt {
namespace step_cache_test {

struct CacheRun {
  std::string md5;
  GenerateOutput out;
  nlohmann::json counters;
};

GenerateRequest two_chunks() { return test_util::two_chunk_request(); }

CacheRun run_with(const std::string& value) {
  PipelineOptions o;
  o.model = preset("tiny");
  Pipeline p(o);
  const GenerateRequest r = two_chunks();
  StepCacheStrategy s;
  s.install(value, p, InstallContext{r});
  CacheRun run;
  run.out = p.generate(r);
  run.md5 = tensor_md5(video_to_uint8(run.out.video));
  run.counters = s.counters();
  return run;
}

TEST(StepCacheTest, ThresholdZeroSkipsNothingAndKeepsTheMd5) {
  const CacheRun off = run_with("off");
  const CacheRun zero = run_with("0");
  ASSERT_EQ(off.out.dit_forwards, 10);  // 2 chunks x (4 steps + refresh)
  EXPECT_EQ(zero.md5, off.md5);
  EXPECT_TRUE(torch::equal(zero.out.latents, off.out.latents));
  EXPECT_EQ(zero.counters["forwards_skipped"], 0);
  EXPECT_EQ(zero.counters["forwards_checked"], 6);  // steps 1..3 of each chunk
  EXPECT_EQ(zero.out.host_reads.of(HostReadSite::kOther) - off.out.host_reads.of(HostReadSite::kOther), 6);
  EXPECT_EQ(off.counters["forwards_checked"], 0);
}

TEST(StepCacheTest, AHugeThresholdSkipsEveryCheckedStepAndCountsIt) {
  const CacheRun off = run_with("off");
  const CacheRun all = run_with("1e9");
  EXPECT_EQ(all.counters["forwards_skipped"], 6);
  EXPECT_EQ(all.counters["forwards_checked"], 6);
  EXPECT_EQ(all.counters["generates"], 1);
  EXPECT_EQ(all.counters["blocks_skipped"], 6 * 2);  // tiny has 3 blocks: 1 and 2 skipped
  EXPECT_EQ(all.out.dit_forwards, 10);                // every forward still runs block 0 and the head
  // one decision read each; the skipped blocks' own reads (cross-attention's is-init flag) are gone
  EXPECT_EQ(all.out.host_reads.of(HostReadSite::kOther) - off.out.host_reads.of(HostReadSite::kOther), 6);
  EXPECT_EQ(off.out.host_reads.of(HostReadSite::kCrossAttnIsInit) - all.out.host_reads.of(HostReadSite::kCrossAttnIsInit), 12);
  EXPECT_NE(all.md5, off.md5);
  EXPECT_EQ(all.out.latents.sizes(), off.out.latents.sizes());
  EXPECT_TRUE(torch::isfinite(all.out.latents).all().item<bool>());
}

TEST(StepCacheTest, RelativeL1IsMeanAbsoluteChangeOverMeanMagnitude) {
  const auto before = torch::tensor({1.0f, -2.0f, 3.0f, -2.0f});          // mean |.| = 2
  const auto now = before + torch::tensor({0.4f, 0.0f, -0.4f, 0.0f});     // mean |diff| = 0.2
  EXPECT_NEAR(relative_l1(now, before).item<double>(), 0.1, 1e-7);
  EXPECT_EQ(relative_l1(before, before).item<double>(), 0.0);
}

TEST(StepCacheTest, ValidateAndValues) {
  StepCacheStrategy s;
  RunConfig two;
  two.world_size = 2;
  EXPECT_NE(s.validate("0.1", two).find("step_cache runs at world size 1"), std::string::npos);
  EXPECT_EQ(s.validate("0.1", RunConfig{}), "");
  RunConfig graphs;
  graphs.values = {{"cuda_graph", "on"}};
  EXPECT_EQ(s.validate("0.1", graphs), "step_cache conflicts with cuda_graph");
  const auto info = strategy_info("step_cache");
  EXPECT_EQ(info.tier, Tier::kB);
  EXPECT_FALSE(info.searchable);
  EXPECT_EQ(info.values, (std::vector<std::string>{"off", "0.05", "0.1", "0.2"}));
  EXPECT_GT(info.min_frame_psnr_db, 0);
  EXPECT_LT(info.max_latent_rel_l2, 1);
  PipelineOptions o;
  o.model = preset("tiny");
  Pipeline p(o);
  try {
    s.install("fast", p, InstallContext{});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "step_cache: value 'fast' is not a threshold (a number >= 0, e.g. 0.1)");
  }
}

}  // namespace step_cache_test
}  // namespace ablate::opt
