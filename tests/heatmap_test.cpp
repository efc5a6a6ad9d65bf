// Difference heat map: exact differences and colours for known synthetic differences, frame
// stride and reduction, the max-pool downscale, the scale, and the PNG with its tEXt chunks.
#include "core/io/heatmap.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "core/io/png_file.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace heatmap_test {

std::vector<uint8_t> rgb_at(const torch::Tensor& image, int64_t y, int64_t x) {
  auto p = image[y][x].contiguous();
  return std::vector<uint8_t>(p.data_ptr<uint8_t>(), p.data_ptr<uint8_t>() + 3);
}

// a: zeros [3, 4, 5, 3]; b: a with frame 1 (2, 3) = (10, 40, 0) and frame 2 (0, 0) red = 255.
std::pair<torch::Tensor, torch::Tensor> known_pair() {
  auto a = torch::zeros({3, 4, 5, 3}, torch::kUInt8);
  auto b = a.clone();
  b[1][2][3][0] = 10;
  b[1][2][3][1] = 40;
  b[2][0][0][0] = 255;
  return {a, b};
}

TEST(HeatMapTest, ColourRamp) {
  // p = round(765 * D / 255): 0, 255, 510, 765, clamped, and 127.5 -> 128 (half to even)
  const auto d = torch::tensor({0.0, 85.0, 170.0, 255.0, 300.0, 42.5}, torch::kDouble).view({1, 6});
  const auto c = heat_colours(d, 255);
  ASSERT_EQ(c.sizes(), torch::IntArrayRef({1, 6, 3}));
  EXPECT_EQ(rgb_at(c, 0, 0), (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_EQ(rgb_at(c, 0, 1), (std::vector<uint8_t>{255, 0, 0}));
  EXPECT_EQ(rgb_at(c, 0, 2), (std::vector<uint8_t>{255, 255, 0}));
  EXPECT_EQ(rgb_at(c, 0, 3), (std::vector<uint8_t>{255, 255, 255}));
  EXPECT_EQ(rgb_at(c, 0, 4), (std::vector<uint8_t>{255, 255, 255}));
  EXPECT_EQ(rgb_at(c, 0, 5), (std::vector<uint8_t>{128, 0, 0}));
  EXPECT_THROW(heat_colours(d, 0), c10::Error);
}

TEST(HeatMapTest, KnownDifferencesMaxOverFrames) {
  const auto [a, b] = known_pair();
  const auto map = difference_heat_map(a, b);
  ASSERT_EQ(map.difference.sizes(), torch::IntArrayRef({4, 5}));
  ASSERT_EQ(map.image.sizes(), torch::IntArrayRef({4, 5, 3}));
  auto expected = torch::zeros({4, 5});
  expected[2][3] = 40;  // max over channels of |a - b|
  expected[0][0] = 255;
  EXPECT_TRUE(torch::equal(map.difference, expected));
  EXPECT_EQ(map.max_difference, 255);
  EXPECT_EQ(map.scale, 255);  // automatic: the largest difference
  EXPECT_EQ(map.frames_compared, 3);
  EXPECT_EQ(rgb_at(map.image, 2, 3), (std::vector<uint8_t>{120, 0, 0}));  // 765 * 40 / 255 = 120
  EXPECT_EQ(rgb_at(map.image, 0, 0), (std::vector<uint8_t>{255, 255, 255}));
  EXPECT_EQ(rgb_at(map.image, 1, 1), (std::vector<uint8_t>{0, 0, 0}));
  // the order of the two videos does not matter
  EXPECT_TRUE(torch::equal(difference_heat_map(b, a).image, map.image));
}

TEST(HeatMapTest, FixedScaleStrideMeanAndDownscale) {
  const auto [a, b] = known_pair();
  HeatMapOptions o;
  o.scale = 60;  // 40 -> p = 510: yellow
  auto map = difference_heat_map(a, b, o);
  EXPECT_EQ(rgb_at(map.image, 2, 3), (std::vector<uint8_t>{255, 255, 0}));
  EXPECT_EQ(map.scale, 60);

  o = HeatMapOptions();
  o.stride = 2;  // frames 0 and 2: frame 1's difference is not seen
  map = difference_heat_map(a, b, o);
  EXPECT_EQ(map.frames_compared, 2);
  EXPECT_EQ(map.difference[2][3].item<float>(), 0);
  EXPECT_EQ(map.difference[0][0].item<float>(), 255);

  o = HeatMapOptions();
  o.reduce = FrameReduce::kMean;
  map = difference_heat_map(a, b, o);
  EXPECT_FLOAT_EQ(map.difference[2][3].item<float>(), 40.0f / 3);
  EXPECT_FLOAT_EQ(map.difference[0][0].item<float>(), 85.0f);
  EXPECT_EQ(rgb_at(map.image, 0, 0), (std::vector<uint8_t>{255, 255, 255}));  // auto scale 85

  o = HeatMapOptions();
  o.downscale = 2;  // [4, 5] -> [2, 2], block max: one differing pixel stays visible
  map = difference_heat_map(a, b, o);
  ASSERT_EQ(map.difference.sizes(), torch::IntArrayRef({2, 2}));
  EXPECT_TRUE(torch::equal(map.difference, torch::tensor({255.0f, 0.0f, 0.0f, 40.0f}).view({2, 2})));
}

TEST(HeatMapTest, IdenticalVideosAreBlackAndMismatchesAreRefused) {
  const auto a = torch::full({2, 3, 3, 3}, 77, torch::kUInt8);
  const auto map = difference_heat_map(a, a.clone());
  EXPECT_EQ(map.max_difference, 0);
  EXPECT_EQ(map.scale, 1);
  EXPECT_TRUE(map.image.eq(0).all().item<bool>());
  try {
    difference_heat_map(a, torch::zeros({3, 3, 3, 3}, torch::kUInt8));
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot compare videos of different shapes"), std::string::npos)
        << e.what();
  }
  HeatMapOptions o;
  o.stride = 0;
  EXPECT_THROW(difference_heat_map(a, a, o), UsageError);
}

TEST(HeatMapTest, SavedPngStatesTheScale) {
  if (!png_available()) GTEST_SKIP() << "this build has no libpng";
  const auto dir = testing::make_scratch_dir("heat");
  const auto [a, b] = known_pair();
  HeatMapOptions o;
  o.stride = 1;
  const auto map = difference_heat_map(a, b, o);
  const std::string path = dir + "/heat.png";
  save_heat_map(path, map);
  const auto back = read_png(path);
  EXPECT_TRUE(torch::equal(back.pixels, map.image));
  std::map<std::string, std::string> text;
  for (const auto& t : back.text) text[t.key] = t.value;
  EXPECT_EQ(text["ablate-scale"], "255");
  EXPECT_EQ(text["ablate-max-difference"], "255");
  EXPECT_EQ(text["ablate-frames"], "0:3:1");
  EXPECT_EQ(text["ablate-reduce"], "max");
  EXPECT_NE(text["Description"].find("white >= scale; scale = 255 levels"), std::string::npos)
      << text["Description"];
}

}  // namespace heatmap_test
}  // namespace ablate::io
