// text_encoder_resident on the CPU (tiny preset): where the workload offloads the text encoder it
// stays resident instead, with the same video bits; where it does not, nothing changes.
#include <gtest/gtest.h>

#include "core/video_hash.h"
#include "experiments/runner/memory_preflight.h"
#include "optimizations/registry.h"
#include "tests/tiny_request_util.h"

namespace ablate::opt {
namespace {

struct Run {
  std::string md5;
  bool offloaded = false;
  nlohmann::json counters;
};

Run run_tiny(bool offload, const std::string& value) {
  PipelineOptions o;
  o.model = preset("tiny");
  o.offload_text_encoder = offload;
  auto s = make_strategy("text_encoder_resident");
  RunConfig config;
  config.values = {{"text_encoder_resident", value}};
  EXPECT_EQ(s->validate(value, config), "");
  s->configure(value, o);
  Pipeline p(o);
  const auto r = test_util::two_chunk_request();
  s->install(value, p, InstallContext{r});
  Run out;
  out.md5 = tensor_md5(video_to_uint8(p.generate(r).video));
  out.offloaded = p.text_encoder().offload();
  out.counters = s->counters();
  return out;
}

TEST(TextEncoderResidentTest, KeepsAnOffloadedEncoderResidentWithTheSameBits) {
  const auto offloaded = run_tiny(true, "off");
  EXPECT_TRUE(offloaded.offloaded);
  EXPECT_EQ(offloaded.counters["resident"], false);
  const auto resident = run_tiny(true, "on");
  EXPECT_FALSE(resident.offloaded);
  EXPECT_EQ(resident.counters["resident"], true);
  EXPECT_EQ(resident.md5, offloaded.md5);
}

TEST(TextEncoderResidentTest, ChangesNothingWhereTheWorkloadDoesNotOffload) {
  const auto plain = run_tiny(false, "off");
  const auto on = run_tiny(false, "on");
  EXPECT_FALSE(on.offloaded);
  EXPECT_EQ(on.counters["resident"], true);  // resident: it was never offloaded
  EXPECT_EQ(on.md5, plain.md5);
  const auto info = make_strategy("text_encoder_resident")->info();
  EXPECT_EQ(info.tier, Tier::kA);
  EXPECT_TRUE(info.affects_build);
}

// `ablate memory` and the run's preflight see the encoder on the device for the whole run
TEST(TextEncoderResidentTest, TheMemoryEstimateCountsTheResidentEncoder) {
  Workload w;
  w.offload_text_encoder = true;
  const auto offloaded = workload_memory_request(w, {}, torch::kCPU, 1, 0);
  const auto resident = workload_memory_request(w, {{"text_encoder_resident", "on"}}, torch::kCPU, 1, 0);
  EXPECT_TRUE(offloaded.offload_text_encoder);
  EXPECT_FALSE(resident.offload_text_encoder);
}

}  // namespace
}  // namespace ablate::opt
