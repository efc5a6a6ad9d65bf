// What individual strategies do beyond keeping the output (registry_test.cpp runs every value ON
// vs OFF): counters, host reads removed and validate() reasons are real.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/video_hash.h"
#include "optimizations/registry.h"
#include "optimizations/text_cache.h"

namespace ablate::opt {
namespace optimizations_test {

struct Run {
  std::string md5;
  GenerateOutput out;
};

// Builds a tiny pipeline with the given strategy values and runs `generates` requests.
std::vector<Run> run_with(const std::map<std::string, std::string>& values, int generates = 1,
                          std::vector<std::unique_ptr<Strategy>>* keep = nullptr) {
  PipelineOptions o;
  o.model = preset("tiny");
  RunConfig config;
  config.values = values;
  std::vector<std::unique_ptr<Strategy>> strategies;
  for (const auto& [name, value] : values) {
    auto s = make_strategy(name);
    EXPECT_EQ(s->validate(value, config), "") << name;
    s->configure(value, o);
    strategies.push_back(std::move(s));
  }
  Pipeline p(o);
  GenerateRequest r;
  r.geometry.frames = 17;  // one chunk
  size_t i = 0;
  for (const auto& [name, value] : values) strategies[i++]->install(value, p, InstallContext{r});
  std::vector<Run> runs;
  for (int k = 0; k < generates; ++k) {
    auto out = p.generate(r);
    runs.push_back({tensor_md5(video_to_uint8(out.video)), out});
  }
  if (keep) *keep = std::move(strategies);
  return runs;
}

const std::string& baseline_md5() {
  static const std::string md5 = run_with({}).front().md5;
  return md5;
}

TEST(OptimizationsTest, TimestepEmbedOnceIsTierBButBitIdenticalOnTheCpu) {
  EXPECT_EQ(strategy_info("timestep_embed_once").tier, Tier::kB);  // not bit-identical on CUDA
  // on the CPU the one-row GEMM rounds as the per-token one: same MD5
  EXPECT_EQ(run_with({{"timestep_embed_once", "on"}}).front().md5, baseline_md5());
}

TEST(OptimizationsTest, SyncElimLeavesNoDeviceReadInsideTheDit) {
  auto base = run_with({}).front().out;
  auto elim = run_with({{"sync_elim", "on"}, {"sampler_host_tables", "on"}}).front().out;
  EXPECT_EQ(base.dit_host_reads.syncs(), (3 * preset("tiny").dit.num_layers() + 1) * base.dit_forwards);
  EXPECT_EQ(elim.dit_host_reads.total(), 0);
  EXPECT_EQ(elim.host_reads.syncs(), 1);  // the text encoder's length read remains
}

TEST(OptimizationsTest, TextCacheCountsHitsAndMisses) {
  std::vector<std::unique_ptr<Strategy>> keep;
  auto runs = run_with({{"text_cache", "on"}}, 3, &keep);
  const auto c = keep.front()->counters();
  EXPECT_EQ(c["misses"], 1);
  EXPECT_EQ(c["hits"], 2);
  EXPECT_EQ(runs[1].out.host_reads.of(HostReadSite::kTextLength), 0);  // a hit does not encode
  auto* cache = dynamic_cast<TextCacheStrategy*>(keep.front().get());
  ASSERT_NE(cache, nullptr);
  cache->clear();
  EXPECT_EQ(cache->counters()["entries"], 0);
}

TEST(OptimizationsTest, ValidateGivesReasons) {
  RunConfig one;
  EXPECT_EQ(make_strategy("shard")->validate("grad_op", one), "shard needs world size > 1 (this run has 1)");
  EXPECT_EQ(make_strategy("shard")->validate("full", one), "");  // the baseline value always runs
  RunConfig two;
  two.world_size = 2;
  two.values["shard"] = "none";
  EXPECT_EQ(make_strategy("gather_prefetch")->validate("on", two),
            "gather_prefetch needs sharded parameters (shard=none gathers nothing)");
  two.values["shard"] = "grad_op";
  EXPECT_EQ(make_strategy("gather_prefetch")->validate("on", two), "");
}

}  // namespace optimizations_test
}  // namespace ablate::opt
