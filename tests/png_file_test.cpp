// PNG writer/reader: exact pixels and text chunks round trip, the file's header bytes, and bad
// files (missing, not a PNG, truncated, unwritable) naming the file.
#include "core/io/png_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/error.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace png_file_test {

torch::Tensor random_image(int64_t h, int64_t w, int64_t c, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::randint(0, 256, {h, w, c}, gen, torch::kLong).to(torch::kUInt8);
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(PngFileTest, RoundTripIsExactForGreyRgbRgba) {
  if (!png_available()) GTEST_SKIP() << "this build has no libpng";
  const auto dir = testing::make_scratch_dir("png");
  for (const int64_t c : {1, 3, 4}) {
    const auto image = random_image(7, 13, c, 100 + c);
    const std::string path = dir + "/img" + std::to_string(c) + ".png";
    write_png(path, image, {{"Title", "test"}, {"ablate-scale", "12.5"}});
    const auto back = read_png(path);
    ASSERT_EQ(back.pixels.sizes(), image.sizes()) << c;
    EXPECT_EQ(back.pixels.scalar_type(), torch::kUInt8);
    EXPECT_TRUE(torch::equal(back.pixels, image)) << c;
    ASSERT_EQ(back.text.size(), 2u);
    EXPECT_EQ(back.text[0].key, "Title");
    EXPECT_EQ(back.text[0].value, "test");
    EXPECT_EQ(back.text[1].key, "ablate-scale");
    EXPECT_EQ(back.text[1].value, "12.5");
  }
}

TEST(PngFileTest, HeaderBytesSayRgb8) {
  if (!png_available()) GTEST_SKIP() << "this build has no libpng";
  const auto dir = testing::make_scratch_dir("png");
  const std::string path = dir + "/rgb.png";
  // a non-contiguous view: the writer copies it to contiguous memory first
  const auto image = random_image(300, 5, 3, 1).transpose(0, 1);  // [5, 300, 3]
  write_png(path, image);
  const std::string bytes = read_bytes(path);
  ASSERT_GT(bytes.size(), 33u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(bytes.substr(16, 8), std::string("\0\0\x01\x2c\0\0\0\x05", 8));  // width 300, height 5
  EXPECT_EQ(bytes[24], 8);  // bit depth
  EXPECT_EQ(bytes[25], 2);  // colour type RGB
  EXPECT_TRUE(torch::equal(read_png(path).pixels, image));
}

TEST(PngFileTest, BadFilesNameTheFile) {
  if (!png_available()) GTEST_SKIP() << "this build has no libpng";
  const auto dir = testing::make_scratch_dir("png");
  const std::string missing = dir + "/missing.png";
  try {
    read_png(missing);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open PNG file '" + missing + "'"), std::string::npos) << e.what();
  }
  const std::string text = dir + "/text.png";
  testing::write_text(text, "not a png at all");
  try {
    read_png(text);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("file '" + text + "' is not a PNG"), std::string::npos) << e.what();
  }
  const std::string good = dir + "/good.png";
  write_png(good, random_image(64, 64, 3, 5));
  const std::string bytes = read_bytes(good);
  const std::string truncated = dir + "/truncated.png";
  testing::write_text(truncated, bytes.substr(0, bytes.size() / 2));
  try {
    read_png(truncated);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("PNG file '" + truncated + "' is damaged"), std::string::npos) << e.what();
  }
  const std::string unwritable = dir + "/no/such/folder/x.png";
  try {
    write_png(unwritable, random_image(2, 2, 3, 1));
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create PNG file '" + unwritable + "'"), std::string::npos)
        << e.what();
  }
}

TEST(PngFileTest, BadImagesAreRefused) {
  if (!png_available()) GTEST_SKIP() << "this build has no libpng";
  const auto dir = testing::make_scratch_dir("png");
  EXPECT_THROW(write_png(dir + "/a.png", torch::zeros({4, 4, 2}, torch::kUInt8)), c10::Error);
  EXPECT_THROW(write_png(dir + "/b.png", torch::zeros({4, 4, 3}, torch::kFloat)), c10::Error);
  EXPECT_THROW(write_png(dir + "/c.png", torch::zeros({4, 4}, torch::kUInt8)), c10::Error);
  EXPECT_THROW(write_png(dir + "/d.png", torch::zeros({4, 4, 3}, torch::kUInt8), {{"", "empty key"}}), c10::Error);
}

TEST(PngFileTest, WithoutTheLibraryWritingSaysSo) {
  if (png_available()) GTEST_SKIP() << "this build has libpng";
  try {
    write_png("x.png", random_image(2, 2, 3, 1));
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no libpng"), std::string::npos) << e.what();
  }
}

}  // namespace png_file_test
}  // namespace ablate::io
