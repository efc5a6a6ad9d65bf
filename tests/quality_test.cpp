// The tier-B quality measures with known values: a tensor plus a known perturbation gives its
// relative L2 error; a video with one changed frame gives that frame's PSNR and inf elsewhere; the
// gate reports both and holds a tier-B combination to its strategies' frame and latent bounds.
#include "experiments/gate/quality.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "experiments/gate/gate.h"

namespace ablate {
namespace quality_test {

TEST(QualityTest, RelativeL2OfAKnownPerturbation) {
  const auto ref = torch::full({2, 2}, 1.0f);                      // |ref| = 2
  const auto cand = ref + torch::tensor({{0.12f, 0.0f}, {0.0f, -0.16f}});  // |diff| = 0.2
  EXPECT_NEAR(relative_l2(ref, cand), 0.1, 1e-7);
  EXPECT_EQ(relative_l2(ref, ref), 0.0);
  EXPECT_EQ(relative_l2(torch::zeros({3}), torch::zeros({3})), 0.0);
  EXPECT_TRUE(std::isinf(relative_l2(torch::zeros({3}), torch::ones({3}))));
  EXPECT_THROW(relative_l2(torch::zeros({3}), torch::zeros({4})), c10::Error);
}

TEST(QualityTest, FramePsnrOfOneChangedFrame) {
  auto ref = torch::zeros({3, 2, 2, 3}, torch::kUInt8);  // [F, H, W, 3]
  auto cand = ref.clone();
  cand[1].fill_(10);  // frame 1: every value off by 10 -> MSE 100 -> 10 log10(255^2 / 100) dB
  const auto p = frame_psnr_db(ref, cand);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_TRUE(std::isinf(p[0]));
  EXPECT_NEAR(p[1], 10.0 * std::log10(255.0 * 255.0 / 100.0), 1e-9);  // 28.13 dB
  EXPECT_TRUE(std::isinf(p[2]));
  EXPECT_NEAR(min_frame_psnr_db(ref, cand), p[1], 1e-12);
  EXPECT_TRUE(std::isinf(min_frame_psnr_db(ref, ref)));
}

GateReference reference_with(const torch::Tensor& video, const torch::Tensor& latents) {
  GateReference r;
  r.source = "test";
  r.md5s = {"a"};
  r.video_u8 = video;
  r.latents = latents;
  return r;
}

TEST(QualityTest, GateReportsAndHoldsTheNewMeasures) {
  auto video = torch::zeros({2, 8, 8, 3}, torch::kUInt8);
  auto latents = torch::ones({16, 2, 4, 4});
  GateCandidate c;
  c.md5s = {"b"};
  c.tier = "B";
  c.values = {{"attention_backend", "flash"}};  // bound: latents within 2% relative L2
  c.video_u8 = video.clone();
  c.video_u8[0][0][0][0] = 1;
  c.latents = latents * 1.01;  // 1% relative L2
  auto f = judge_output(reference_with(video, latents), c);
  ASSERT_TRUE(f.latent_rel_l2.has_value());
  EXPECT_NEAR(*f.latent_rel_l2, 0.01, 1e-6);
  ASSERT_TRUE(f.min_frame_psnr_db.has_value());
  EXPECT_NEAR(*f.min_frame_psnr_db, 10.0 * std::log10(255.0 * 255.0 * 192.0), 1e-9);  // one value off by 1 in 192
  ASSERT_TRUE(f.bound.has_value());
  EXPECT_EQ(f.bound->max_latent_rel_l2, 0.02);
  EXPECT_TRUE(f.bound->within);
  c.latents = latents * 1.05;  // 5%: the video is as close, the latents are not
  f = judge_output(reference_with(video, latents), c);
  EXPECT_FALSE(f.bound->within);
  EXPECT_EQ(gate_verdict("B", f).reason, "tier B: outside its bound");
  // no latents kept (a locked baseline): judged on the video alone
  f = judge_output(reference_with(video, torch::Tensor()), c);
  EXPECT_FALSE(f.latent_rel_l2.has_value());
  EXPECT_TRUE(f.bound->within);
}

}  // namespace quality_test
}  // namespace ablate
