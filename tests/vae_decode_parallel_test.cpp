// vae_decode_parallel: a band of rows decoded alone (halo, whole-frame attention, its own feature
// caches across frames) is bit for bit those rows of the whole decode; at two Gloo ranks the
// banded, gathered decode keeps the video's MD5.
#include <gtest/gtest.h>

#include "core/vae/vae_session.h"
#include "optimizations/vae_decode_parallel.h"
#include "tests/cli_test_util.h"
#include "tests/vae_test_util.h"

namespace ablate::opt {
namespace vae_decode_parallel_test {

// A normalized latent [16, t, h, w] with structure in every row.
torch::Tensor test_latent(int64_t t, int64_t h, int64_t w) {
  return vae_test::test_video(16 * t / 3 + 1, h, w).flatten(0, 1).slice(0, 0, 16 * t).view({16, t, h, w}) * 2;
}

TEST(VaeDecodeParallelTest, HalosAreTheConvolutionsReach) {
  auto vae = vae_test::make_tiny_vae();
  // after the attention: middle.2 + 3 blocks (8 convs) + ceil(13 / 2); then 12, 10, 7 (3 blocks + head)
  EXPECT_EQ(vae->decoder()->slab_halos(), (std::vector<int64_t>{15, 12, 10, 7}));
}

TEST(VaeDecodeParallelTest, BandsAreTheWholeDecodesRowsBitForBit) {
  auto vae = vae_test::make_tiny_vae();
  const auto latent = test_latent(3, 40, 3);  // 40 latent rows: the halos crop (15 < 40 / 2)
  const auto whole = vae->decode(latent);     // [3, 9, 320, 24]
  for (int world : {2, 3}) {
    std::vector<torch::Tensor> bands;
    for (int r = 0; r < world; ++r) {
      vae::DecodeSession s(*vae);
      const auto band = decode_band(40, r, world);
      s.set_row_slab(band);
      bands.push_back(s.push(latent.slice(1, 0, 1)));  // two pushes: the band's caches carry over
      bands.back() = torch::cat({bands.back(), s.push(latent.slice(1, 1, 3))}, 1);
      EXPECT_EQ(bands.back().size(2), 8 * (band.end - band.begin));
    }
    const auto joined = torch::cat(bands, 2);
    ASSERT_EQ(joined.sizes(), whole.sizes());
    const double max_abs = (joined - whole).abs().max().item<double>();
    EXPECT_TRUE(torch::equal(joined, whole)) << world << " bands: max |diff| " << max_abs;
  }
}

TEST(VaeDecodeParallelTest, BandOutsideTheFrameIsNamed) {
  auto vae = vae_test::make_tiny_vae();
  vae::DecodeSession s(*vae);
  s.set_row_slab({3, 9});
  try {
    s.push(test_latent(1, 8, 2));
    FAIL();
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("row band within the latent's 8 rows, but got [3, 9)"), std::string::npos)
        << e.what();
  }
}

using testing::printed_md5;

TEST(VaeDecodeParallelTest, TwoGlooRanksKeepTheVideosMd5) {
  // 256x32: 32 latent rows, bands of 16 with halos that crop; 9 frames: 3 latent frames
  const std::string gen = "launch --nproc 2 -- generate --preset tiny --size 256*32 --frames 9 --runs 2";
  const auto off = testing::run_ablate(gen);
  const auto on = testing::run_ablate(gen + " --set vae_decode_parallel=on");
  ASSERT_EQ(off.exit_code, 0) << off.output;
  ASSERT_EQ(on.exit_code, 0) << on.output;
  ASSERT_EQ(printed_md5(off.output).size(), 32u) << off.output;
  EXPECT_EQ(printed_md5(on.output), printed_md5(off.output)) << on.output;
}

}  // namespace vae_decode_parallel_test
}  // namespace ablate::opt
