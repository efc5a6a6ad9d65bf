// Thumbnails beside a run's ledger: the baseline's contact sheet, a heat map only for a combination
// whose video differs from the reference, index.json naming both; checked by decoding the PNGs.
#include "experiments/runner/run_thumbnails.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/io/png_file.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace run_thumbnails_test {

// [17, 8, 12, 3] uint8 frames with a gradient; `bump` adds to one pixel of frame 8.
torch::Tensor video(int bump) {
  auto v = torch::arange(17 * 8 * 12 * 3, torch::kLong).remainder(200).to(torch::kUInt8).reshape({17, 8, 12, 3}).clone();
  if (bump) v.index_put_({8, 2, 3, 1}, v.index({8, 2, 3, 1}).item<int>() + bump);
  return v;
}

GateCandidate output(const torch::Tensor& v, const std::string& md5) {
  GateCandidate c;
  c.video_u8 = v;
  c.md5s = {md5};
  return c;
}

TEST(RunThumbnailsTest, BaselineSheetThenHeatMapOnlyForADifferingVideo) {
  if (!io::png_available()) GTEST_SKIP() << "this build has no libpng";
  const std::string dir = testing::make_scratch_dir("run_thumbnails_") + "/thumbnails";
  GateReference ref;
  ref.source = "this run's baseline combination";
  ref.video_u8 = video(0);
  ref.md5s = {"aaa"};
  std::ostringstream warnings;
  EXPECT_EQ(write_run_thumbnails(dir, "baseline", true, output(video(0), "aaa"), ref, warnings),
            "baseline_contact_sheet.png");
  EXPECT_EQ(write_run_thumbnails(dir, "sync_elim=on", false, output(video(0), "aaa"), ref, warnings), "");  // same MD5
  EXPECT_EQ(write_run_thumbnails(dir, "x=on+y=2", false, output(video(40), "bbb"), ref, warnings), "diff_x=on+y=2.png");
  EXPECT_EQ(warnings.str(), "");
  // the sheet: frames 0, 8, 16 in a 2 x 2 grid with 2 px borders
  const auto sheet = io::read_png(dir + "/baseline_contact_sheet.png").pixels;
  EXPECT_EQ(sheet.sizes(), (std::vector<int64_t>{2 * 8 + 3 * 2, 2 * 12 + 3 * 2, 3}));
  EXPECT_TRUE(torch::equal(sheet.slice(0, 2, 10).slice(1, 2, 14), video(0)[0]));
  // the heat map: one differing pixel, 40 levels: white there (scale = the largest), black elsewhere
  const auto heat = io::read_png(dir + "/diff_x=on+y=2.png").pixels;
  EXPECT_EQ(heat.sizes(), (std::vector<int64_t>{8, 12, 3}));
  EXPECT_EQ(heat.sum().item<int64_t>(), 3 * 255);
  EXPECT_EQ(heat[2][3][0].item<int>(), 255);
  const auto index = testing::read_json(dir + "/index.json");
  ASSERT_EQ(index.size(), 2u);
  EXPECT_EQ(index[0]["file"], "baseline_contact_sheet.png");
  EXPECT_EQ(index[0]["combination"], "baseline");
  EXPECT_EQ(index[1]["combination"], "x=on+y=2");
  EXPECT_EQ(index[1]["caption"], "x=on+y=2: |difference| vs this run's baseline combination (white = 40 levels, the "
                                 "largest; max over frames)");
  // written again (a resumed run): one entry per file
  write_run_thumbnails(dir, "baseline", true, output(video(0), "aaa"), ref, warnings);
  EXPECT_EQ(testing::read_json(dir + "/index.json").size(), 2u);
}

TEST(RunThumbnailsTest, NoReferenceOrAnotherShapeWritesNothing) {
  const std::string dir = testing::make_scratch_dir("run_thumbnails_none_") + "/thumbnails";
  std::ostringstream warnings;
  GateReference none;
  EXPECT_EQ(write_run_thumbnails(dir, "a=on", false, output(video(5), "b"), none, warnings), "");
  GateReference other;
  other.video_u8 = video(0).slice(0, 0, 9);
  other.md5s = {"a"};
  EXPECT_EQ(write_run_thumbnails(dir, "a=on", false, output(video(5), "b"), other, warnings), "");
  EXPECT_EQ(warnings.str(), "");
  EXPECT_EQ(thumbnail_file_stem("a=on+b/c d<e>"), "a=on+b_c_d_e_");
}

}  // namespace run_thumbnails_test
}  // namespace ablate
