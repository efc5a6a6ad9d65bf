// vae_encode_stage_reuse on the CPU (tiny preset; its encoder has the full-scale stage structure,
// so which group each stage settles in is the same at 1.3b/14b): the same video and latent bits as
// without it, alone and beside the group-level strategies; every stage's first reused group, in
// forward order; counted reads; the encoder's stage executor seam; the bitwise comparison.
#include "optimizations/vae_encode_stage_reuse.h"

#include <gtest/gtest.h>

#include "core/host_read.h"
#include "core/memory_estimate.h"
#include "core/video_hash.h"
#include "optimizations/registry.h"
#include "optimizations/vae_encode_fixed_point.h"

namespace ablate::opt {
namespace vae_encode_stage_reuse_test {

struct EncodeRun {
  GenerateOutput out;
  std::string md5;
  std::map<std::string, nlohmann::json> counters;
  std::vector<std::string> stage_names;
};

EncodeRun run_with(const std::map<std::string, std::string>& values, int64_t frames = 81) {
  PipelineOptions o;
  o.model = preset("tiny");
  Pipeline p(o);
  GenerateRequest r;
  r.geometry.frames = frames;
  r.geometry.height = 32;
  r.geometry.width = 32;
  std::vector<std::pair<std::string, std::unique_ptr<Strategy>>> strategies;
  for (const auto& [name, value] : values) {
    strategies.emplace_back(name, make_strategy(name));
    strategies.back().second->install(value, p, InstallContext{r});
  }
  EncodeRun run;
  run.out = p.generate(r);
  run.md5 = tensor_md5(video_to_uint8(run.out.video));
  for (auto& [name, s] : strategies) run.counters[name] = s->counters();
  auto& encoder = p.vae()->encoder();
  for (int64_t i = 0; i < encoder->stage_count(); ++i) run.stage_names.push_back(encoder->stage_name(i));
  return run;
}

TEST(VaeEncodeStageReuseTest, KeepsTheBitsAndReusesTheEarlyStagesFromZeroGroup3) {
  const EncodeRun off = run_with({});
  const EncodeRun on = run_with({{"vae_encode_stage_reuse", "on"}});
  EXPECT_EQ(on.md5, off.md5);
  EXPECT_TRUE(torch::equal(on.out.latents, off.out.latents));
  const auto& k = on.counters.at("vae_encode_stage_reuse");
  std::cout << "[ stage reuse ] " << k.dump() << "\n";
  const int64_t groups = on.out.geometry.lat_f, stages = static_cast<int64_t>(on.stage_names.size());
  ASSERT_EQ(groups, 21);
  ASSERT_EQ(stages, 16);  // conv1, downsamples.0-10, middle.0-2, head
  EXPECT_EQ(k["encodes"], 1);
  EXPECT_EQ(k["stages_run"].get<int64_t>() + k["stages_reused"].get<int64_t>(), groups * stages);
  // conv1 sees zeros from group 1 on, its cache holds only zeros before group 3: reused from 3 on.
  // Each later stage settles no earlier than the one before it; the whole encoder never does at 81
  // frames (vae_encode_fixed_point: group 29).
  const auto& first = k["first_reused_group"];
  ASSERT_TRUE(first.contains("encoder.conv1"));
  EXPECT_EQ(first["encoder.conv1"], 3);
  int64_t last = 0, reused_by_first = 0;
  for (const auto& name : on.stage_names) {
    if (!first.contains(name)) {
      last = groups;  // never reused: nor any stage after it
      continue;
    }
    const int64_t g = first[name].get<int64_t>();
    EXPECT_GE(g, last) << name;
    EXPECT_LT(last, groups) << name << " reused after a stage that never was";
    last = g;
    reused_by_first += groups - g;
  }
  EXPECT_FALSE(first.contains("encoder.head"));
  // once reused, a stage is reused for the rest of the encode
  EXPECT_EQ(k["stages_reused"].get<int64_t>(), reused_by_first);
  // each comparison that read the device is one counted read outside the DiT
  EXPECT_EQ(on.out.host_reads.of(HostReadSite::kOther) - off.out.host_reads.of(HostReadSite::kOther),
            k["stage_checks"].get<int64_t>());
  EXPECT_GT(k["stage_checks"].get<int64_t>(), 0);
}

TEST(VaeEncodeStageReuseTest, AddsNothingToTheGroupLevelStrategiesDecisions) {
  // settle: the same bits and the same settle group as settle alone
  const EncodeRun settle = run_with({{"vae_encode_settle", "3e-2"}});
  const EncodeRun both = run_with({{"vae_encode_settle", "3e-2"}, {"vae_encode_stage_reuse", "on"}});
  EXPECT_EQ(both.md5, settle.md5);
  EXPECT_TRUE(torch::equal(both.out.latents, settle.out.latents));
  EXPECT_EQ(both.counters.at("vae_encode_settle")["settle_group"], settle.counters.at("vae_encode_settle")["settle_group"]);
  EXPECT_EQ(both.counters.at("vae_encode_settle")["groups_reused"], settle.counters.at("vae_encode_settle")["groups_reused"]);
  // fixed point at 129 frames (reached at group 30): the skipped stages' slots are at their fixed
  // point, so the whole cache is too, at the same group, and the video is the baseline's
  const EncodeRun off = run_with({}, 129);
  const EncodeRun fixed = run_with({{"vae_encode_fixed_point", "on"}, {"vae_encode_stage_reuse", "on"}}, 129);
  EXPECT_EQ(fixed.md5, off.md5);
  EXPECT_TRUE(torch::equal(fixed.out.latents, off.out.latents));
  EXPECT_EQ(fixed.counters.at("vae_encode_fixed_point")["fixed_point_group"], 30);
  EXPECT_EQ(fixed.counters.at("vae_encode_fixed_point")["groups_reused"], 3);
}

TEST(VaeEncodeStageReuseTest, CountsRestartWithEveryEncode) {
  PipelineOptions o;
  o.model = preset("tiny");
  Pipeline p(o);
  GenerateRequest r;
  r.geometry.frames = 21;
  r.geometry.height = r.geometry.width = 32;
  VaeEncodeStageReuseStrategy s;
  s.install("on", p, InstallContext{r});
  const auto a = p.generate(r);
  const auto first = s.counters();
  const auto b = p.generate(r);
  const auto second = s.counters();
  EXPECT_TRUE(torch::equal(a.video, b.video));
  EXPECT_GT(first["stages_reused"].get<int64_t>(), 0);
  EXPECT_EQ(second["encodes"], 2);
  EXPECT_EQ(second["stages_reused"].get<int64_t>(), 2 * first["stages_reused"].get<int64_t>());
  EXPECT_EQ(second["first_reused_group"], first["first_reused_group"]);  // the last encode's, not merged
}

// The seam itself: an executor that runs every stage gives the eager bits and sees each stage once
// per group with its slot span; one that skips a stage before its slots exist is refused.
TEST(VaeEncodeStageReuseTest, EncoderStageExecutorSeesEveryStageAndKeepsTheCursor) {
  PipelineOptions o;
  o.model = preset("tiny");
  auto v = vae::WanVae(o.model.vae);
  init_parameters(*v, 5, vae::vae_init_rule, "vae.");
  v->eval();
  const auto video = torch::cat({torch::rand({3, 1, 16, 16}) * 2 - 1, torch::zeros({3, 8, 16, 16})}, 1);
  const auto eager = v->encode(video);

  std::vector<std::string> names;
  std::vector<size_t> spans;
  vae::EncodeSession s(*v);
  s.set_stage_executor([&](const vae::EncoderStageCall& call) {
    names.push_back(call.name);
    spans.push_back(call.slot_count);
    return call.run();
  });
  EXPECT_TRUE(torch::equal(s.push(video), eager));
  const int64_t stages = v->encoder()->stage_count();
  ASSERT_EQ(static_cast<int64_t>(names.size()), 3 * stages);  // the image and two zero groups
  EXPECT_EQ(names.front(), "encoder.conv1");
  EXPECT_EQ(names[stages - 1], "encoder.head");
  size_t slots = 0;
  for (int64_t i = 0; i < stages; ++i) slots += spans[i];
  EXPECT_EQ(slots, s.cache_state().size());  // the spans tile the cache

  vae::EncodeSession skipping(*v);
  skipping.set_stage_executor([](const vae::EncoderStageCall& call) {
    return call.index == 1 ? call.input : call.run();  // downsamples.0 never run: its slots never made
  });
  try {
    skipping.push(video);
    FAIL() << "expected the cursor check to refuse";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("FeatureCache::seek: expected a slot index <= 1, but got 3"),
              std::string::npos)
        << e.what();
  }
}

// The memory preflight's count of what the executor keeps: one group's stage outputs.
TEST(VaeEncodeStageReuseTest, MemoryEstimateCountsOneGroupsStageOutputs) {
  PipelineOptions o;
  o.model = preset("tiny");
  auto v = vae::WanVae(o.model.vae);
  init_parameters(*v, 5, vae::vae_init_rule, "vae.");
  v->eval();
  vae::EncodeSession s(*v);
  int64_t call = 0, group_bytes = 0;
  const int64_t stages = v->encoder()->stage_count();
  s.set_stage_executor([&](const vae::EncoderStageCall& c) {
    torch::Tensor out = c.run();
    if (call++ / stages == 1) group_bytes += out.numel() * out.element_size();  // the first group of 4
    return out;
  });
  s.push(torch::zeros({3, 9, 24, 40}));
  EXPECT_EQ(group_bytes, vae_encode_group_stage_bytes(o.model.vae, 24, 40, 4));
}

TEST(VaeEncodeStageReuseTest, BitwiseComparisonTellsSignedZerosApartAndReadsOnce) {
  const auto z = torch::zeros({4});
  const auto before = host_read_stats();
  EXPECT_TRUE(tensor_pairs_bitwise_equal({{z, z}}));  // one tensor: no read
  EXPECT_EQ(host_read_stats().of(HostReadSite::kOther), before.of(HostReadSite::kOther));
  EXPECT_TRUE(tensor_pairs_bitwise_equal({{z, torch::zeros({4})}, {z, z.clone()}}));
  EXPECT_FALSE(tensor_pairs_bitwise_equal({{z, -torch::zeros({4})}}));
  EXPECT_EQ(host_read_stats().of(HostReadSite::kOther) - before.of(HostReadSite::kOther), 2);
  EXPECT_THROW(tensor_pairs_bitwise_equal({{z, torch::zeros({5})}}), c10::Error);
}

}  // namespace vae_encode_stage_reuse_test
}  // namespace ablate::opt
