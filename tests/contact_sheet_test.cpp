// Contact sheet: which frames, the grid geometry, exact tile and border pixels, the box downscale,
// and the PNG read back.
#include "core/io/contact_sheet.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/io/png_file.h"
#include "core/video_hash.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace contact_sheet_test {

// [F, H, W, 3] uint8 with pixel (f, y, x, c) = (f * 10 + y * 3 + x + c * 50) mod 256: every frame
// and position tells itself apart.
torch::Tensor numbered_frames(int64_t f, int64_t h, int64_t w) {
  auto v = torch::arange(f).view({f, 1, 1, 1}) * 10 + torch::arange(h).view({1, h, 1, 1}) * 3 +
           torch::arange(w).view({1, 1, w, 1}) + torch::arange(3).view({1, 1, 1, 3}) * 50;
  return v.remainder(256).to(torch::kUInt8);
}

TEST(ContactSheetTest, FrameIndices) {
  EXPECT_EQ(contact_sheet_frames(81, 8), (std::vector<int64_t>{0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80}));
  EXPECT_EQ(contact_sheet_frames(8, 8), (std::vector<int64_t>{0}));
  EXPECT_EQ(contact_sheet_frames(3, 1), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_THROW(contact_sheet_frames(3, 0), UsageError);
}

TEST(ContactSheetTest, TilesBordersAndEmptyCellsAreExact) {
  const auto frames = numbered_frames(17, 4, 6);  // frames 0, 8, 16 -> 3 tiles, 2 columns, 2 rows
  const auto sheet = contact_sheet(frames);
  // height 2 * 4 + 3 * 2, width 2 * 6 + 3 * 2
  ASSERT_EQ(sheet.sizes(), torch::IntArrayRef({14, 18, 3}));
  EXPECT_TRUE(torch::equal(sheet.slice(0, 2, 6).slice(1, 2, 8), frames[0]));
  EXPECT_TRUE(torch::equal(sheet.slice(0, 2, 6).slice(1, 10, 16), frames[8]));
  EXPECT_TRUE(torch::equal(sheet.slice(0, 8, 12).slice(1, 2, 8), frames[16]));
  // the fourth cell and every border are white
  auto mask = torch::ones({14, 18}, torch::kBool);
  mask.slice(0, 2, 6).slice(1, 2, 8).fill_(false);
  mask.slice(0, 2, 6).slice(1, 10, 16).fill_(false);
  mask.slice(0, 8, 12).slice(1, 2, 8).fill_(false);
  const auto rest = sheet.index({mask});  // [n, 3]
  EXPECT_EQ(rest.size(0), 14 * 18 - 3 * 24);
  EXPECT_TRUE(rest.eq(255).all().item<bool>());
}

TEST(ContactSheetTest, ColumnsBorderColourAndDownscale) {
  const auto frames = numbered_frames(3, 5, 7);
  ContactSheetOptions o;
  o.stride = 1;
  o.columns = 3;
  o.border = 1;
  o.border_rgb = {1, 2, 3};
  o.downscale = 2;
  const auto sheet = contact_sheet(frames, o);  // tiles 2 x 3 (floor of 5/2, 7/2), one row
  ASSERT_EQ(sheet.sizes(), torch::IntArrayRef({2 + 2, 3 * 3 + 4, 3}));
  EXPECT_EQ(sheet[0][0][0].item<int>(), 1);
  EXPECT_EQ(sheet[0][0][2].item<int>(), 3);
  // frame 2's tile starts at (1, 1 + 2 * (3 + 1)); its pixel (1, 2) averages frame 2's rows 2-3,
  // columns 4-5, channel 0: values 20 + {6, 9} + {4, 5} -> (30 + 31 + 33 + 34 + 2) / 4 = 32
  EXPECT_EQ(sheet[1 + 1][9 + 2][0].item<int>(), 32);
  // half rounds up: a block of 1, 2, 2, 2 (sum 7) averages to (7 + 2) / 4 = 2
  auto tiny = torch::tensor({1, 2, 2, 2}, torch::kUInt8).view({1, 2, 2, 1}).expand({1, 2, 2, 3}).contiguous();
  ContactSheetOptions t;
  t.border = 0;
  t.downscale = 2;
  const auto one = contact_sheet(tiny, t);
  ASSERT_EQ(one.sizes(), torch::IntArrayRef({1, 1, 3}));
  EXPECT_EQ(one[0][0][0].item<int>(), 2);
  auto tie = torch::tensor({1, 2, 1, 2}, torch::kUInt8).view({1, 2, 2, 1}).expand({1, 2, 2, 3}).contiguous();
  EXPECT_EQ(contact_sheet(tie, t)[0][0][0].item<int>(), 2);  // 1.5 -> 2
}

TEST(ContactSheetTest, BadOptionsAreUsageErrors) {
  const auto frames = numbered_frames(2, 4, 4);
  ContactSheetOptions o;
  o.downscale = 0;
  EXPECT_THROW(contact_sheet(frames, o), UsageError);
  o.downscale = 5;  // larger than the frame
  EXPECT_THROW(contact_sheet(frames, o), UsageError);
  o = ContactSheetOptions();
  o.stride = 0;
  EXPECT_THROW(contact_sheet(frames, o), UsageError);
  EXPECT_THROW(contact_sheet(torch::zeros({2, 4, 4}, torch::kUInt8)), c10::Error);
}

TEST(ContactSheetTest, SavedPngReadsBackExactly) {
  if (!png_available()) GTEST_SKIP() << "this build has no libpng";
  const auto dir = testing::make_scratch_dir("sheet");
  auto gen = at::detail::createCPUGenerator(3);
  const auto video = torch::rand({3, 17, 8, 12}, gen) * 2 - 1;  // [3, F, H, W] float in [-1, 1]
  const std::string path = dir + "/sheet.png";
  save_contact_sheet(path, video);
  const auto back = read_png(path);
  const auto expected = contact_sheet(video_to_uint8(video));
  ASSERT_EQ(back.pixels.sizes(), expected.sizes());
  EXPECT_TRUE(torch::equal(back.pixels, expected));
  // tile 1 (frame 8) is the MD5 bytes of frame 8
  EXPECT_TRUE(torch::equal(back.pixels.slice(0, 2, 10).slice(1, 16, 28), video_to_uint8(video)[8]));
  bool described = false;
  for (const auto& t : back.text) {
    if (t.key == "Description") {
      described = true;
      EXPECT_NE(t.value.find("frames 0, 8, 16 of 17 (stride 8)"), std::string::npos) << t.value;
    }
  }
  EXPECT_TRUE(described);
}

}  // namespace contact_sheet_test
}  // namespace ablate::io
