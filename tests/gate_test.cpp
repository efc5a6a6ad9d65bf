// The gate's one rule: ranks agree, tier A keeps every request's MD5 (the first differing request
// and its first divergent step are named), tier B stays within the loosest bound of its strategies.
#include "experiments/gate/gate.h"

#include <gtest/gtest.h>

namespace ablate {
namespace gate_test {

GateReference reference() {
  GateReference r;
  r.source = "test";
  r.md5s = {"a", "b", "c"};
  r.chains = {{"1", "2", "3", "4"}, {"5", "6", "7", "8"}, {"9", "10", "11", "12"}};
  r.steps_per_chunk = 2;
  return r;
}

GateCandidate same() {
  GateCandidate c;
  c.md5s = {"a", "b", "c"};
  c.chains = reference().chains;
  return c;
}

TEST(GateTest, EqualOutputsPass) {
  const auto f = judge_output(reference(), same());
  EXPECT_EQ(f.md5_ok, true);
  EXPECT_FALSE(f.failing_request.has_value());
  EXPECT_TRUE(gate_verdict("A", f).pass);
  EXPECT_TRUE(gate_verdict("A", judge_output(GateReference{}, same())).pass);  // nothing to compare with
}

TEST(GateTest, TierANamesTheFirstDifferingRequestAndStep) {
  auto c = same();
  c.md5s[2] = "x";
  c.chains[2][3] = "changed";
  const auto f = judge_output(reference(), c);
  EXPECT_EQ(f.md5_ok, false);
  EXPECT_EQ(f.failing_request, 2);
  ASSERT_TRUE(f.first_divergence.has_value());
  EXPECT_EQ(*f.first_divergence, std::make_pair(int64_t{1}, int64_t{1}));  // step 3 of 2 per chunk
  const auto v = gate_verdict("A", f);
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.reason, "tier A: output differs from the reference (request 2)");
}

TEST(GateTest, TierBIsJudgedByItsBound) {
  auto ref = reference();
  ref.video_u8 = torch::zeros({1, 4, 4, 3}, torch::kUInt8);
  auto c = same();
  c.md5s[0] = "x";
  c.tier = "B";
  c.values = {{"timestep_embed_once", "on"}};
  c.video_u8 = ref.video_u8.clone();
  c.video_u8[0][0][0][0] = 1;  // one value off by one: PSNR far above the 35 dB bound
  auto f = judge_output(ref, c);
  ASSERT_TRUE(f.bound.has_value());
  EXPECT_TRUE(f.bound->within);
  EXPECT_TRUE(gate_verdict("B", f).pass);
  c.video_u8.fill_(200);
  f = judge_output(ref, c);
  EXPECT_FALSE(f.bound->within);
  EXPECT_EQ(gate_verdict("B", f).reason, "tier B: outside its bound");
  EXPECT_EQ(tier_b_bound({{"timestep_embed_once", "on"}}).min_psnr_db, 35.0);
}

TEST(GateTest, RanksThatDisagreeFailWhateverTheTier) {
  auto c = same();
  c.rank_latent_md5s = {"r", "r"};
  EXPECT_EQ(judge_output(reference(), c).ranks_agree, true);
  c.rank_latent_md5s = {"r", "s"};
  const auto f = judge_output(reference(), c);
  EXPECT_EQ(f.ranks_agree, false);
  EXPECT_EQ(gate_verdict("B", f).reason, "rank error: the ranks' final latents differ");
}

}  // namespace gate_test
}  // namespace ablate
