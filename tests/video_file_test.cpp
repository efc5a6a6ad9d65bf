// Video files: encode with FFmpeg, decode back, and check frame count, size, frame rate, exact
// pixels (lossless) or PSNR (lossy); the float video goes through the MD5 rule; bad files and
// names give UsageErrors naming the file.
#include "core/io/video_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "core/error.h"
#include "core/video_hash.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace video_file_test {

TEST(VideoFileTest, PsnrOfKnownDifferences) {
  const auto a = torch::zeros({2, 4, 4, 3}, torch::kUInt8);
  EXPECT_TRUE(std::isinf(psnr_db(a, a)));
  const auto b = torch::ones({2, 4, 4, 3}, torch::kUInt8);
  EXPECT_NEAR(psnr_db(a, b), 10 * std::log10(255.0 * 255.0), 1e-9);  // MSE 1: 48.13 dB
  auto c = a.clone();
  c.view(-1)[0] = 16;  // MSE 256 / 96
  EXPECT_NEAR(psnr_db(a, c), 10 * std::log10(255.0 * 255.0 * 96 / 256), 1e-9);
  EXPECT_THROW(psnr_db(a, torch::zeros({2, 4, 4, 1}, torch::kUInt8)), c10::Error);
}

// [F, H, W, 3] uint8: smooth gradients that move one pixel a frame (what a codec keeps well).
torch::Tensor smooth_frames(int64_t f, int64_t h, int64_t w) {
  auto t = torch::arange(f, torch::kDouble).view({f, 1, 1, 1});
  auto y = torch::arange(h, torch::kDouble).view({1, h, 1, 1});
  auto x = torch::arange(w, torch::kDouble).view({1, 1, w, 1});
  auto c = torch::arange(3, torch::kDouble).view({1, 1, 1, 3});
  auto v = 128 + 90 * torch::sin((x + t) * 0.11 + c * 1.3) * torch::cos((y - t) * 0.07 + c * 0.5);
  return v.round().clamp(0, 255).to(torch::kUInt8);
}

torch::Tensor random_frames(int64_t f, int64_t h, int64_t w, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return torch::randint(0, 256, {f, h, w, 3}, gen, torch::kLong).to(torch::kUInt8);
}

TEST(VideoFileTest, LosslessMp4DecodesToTheExactPixels) {
  if (!video_io_available()) GTEST_SKIP() << "this build has no FFmpeg libraries";
  const auto dir = testing::make_scratch_dir("video");
  const std::string path = dir + "/lossless.mp4";
  const auto frames = random_frames(5, 24, 40, 3);  // noise: the hardest case for a codec
  VideoWriteOptions options;
  options.lossless = true;
  const auto info = write_video_frames(path, frames, options);
  EXPECT_EQ(info.encoder, "libx264rgb");  // Debian 12's libavcodec59 has libx264
  EXPECT_EQ(info.frames, 5);
  const auto back = read_video(path);
  ASSERT_EQ(back.frames.sizes(), frames.sizes());
  EXPECT_TRUE(torch::equal(back.frames, frames));
  EXPECT_DOUBLE_EQ(back.fps, 16.0);
  EXPECT_EQ(back.codec, "h264");
}

TEST(VideoFileTest, LossyMp4IsH264AboveFortyDb) {
  if (!video_io_available()) GTEST_SKIP() << "this build has no FFmpeg libraries";
  const auto dir = testing::make_scratch_dir("video");
  const std::string path = dir + "/lossy.mp4";
  const auto frames = smooth_frames(9, 64, 96);
  const auto info = write_video_frames(path, frames);
  EXPECT_EQ(info.encoder, "libx264");
  EXPECT_EQ(info.pix_fmt, "yuv420p");
  const auto back = read_video(path);
  ASSERT_EQ(back.frames.sizes(), frames.sizes());
  EXPECT_DOUBLE_EQ(back.fps, 16.0);
  const double psnr = psnr_db(back.frames, frames);
  EXPECT_GE(psnr, 40.0) << "PSNR " << psnr << " dB";
  EXPECT_FALSE(std::isinf(psnr)) << "lossy mode should not be bit-exact";
}

TEST(VideoFileTest, OddSizeUsesYuv444) {
  if (!video_io_available()) GTEST_SKIP() << "this build has no FFmpeg libraries";
  const auto dir = testing::make_scratch_dir("video");
  const std::string path = dir + "/odd.mp4";
  const auto frames = smooth_frames(3, 33, 47);
  VideoWriteOptions options;
  options.fps = 8;
  const auto info = write_video_frames(path, frames, options);
  EXPECT_EQ(info.pix_fmt, "yuv444p");
  const auto back = read_video(path);
  ASSERT_EQ(back.frames.sizes(), frames.sizes());
  EXPECT_DOUBLE_EQ(back.fps, 8.0);
  EXPECT_GE(psnr_db(back.frames, frames), 40.0);
}

TEST(VideoFileTest, FloatVideoIsWrittenAsTheMd5Bytes) {
  if (!video_io_available()) GTEST_SKIP() << "this build has no FFmpeg libraries";
  const auto dir = testing::make_scratch_dir("video");
  const std::string path = dir + "/float.mkv";  // the container follows the name
  auto gen = at::detail::createCPUGenerator(11);
  const auto video = torch::rand({3, 4, 16, 16}, gen) * 2.4 - 1.2;  // [3, F, H, W], some values clamp
  VideoWriteOptions options;
  options.lossless = true;
  save_video(path, video, options);
  const auto back = read_video(path);
  EXPECT_TRUE(torch::equal(back.frames, video_to_uint8(video)));
}

TEST(VideoFileTest, BadNamesAndFilesNameTheFile) {
  if (!video_io_available()) GTEST_SKIP() << "this build has no FFmpeg libraries";
  const auto dir = testing::make_scratch_dir("video");
  const auto frames = smooth_frames(2, 16, 16);
  const auto expect_usage = [](const std::function<void()>& f, const std::string& needle) {
    try {
      f();
      FAIL() << "expected a UsageError with: " << needle;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  const std::string unknown = dir + "/video.notacontainer";
  expect_usage([&] { write_video_frames(unknown, frames); }, "cannot write video '" + unknown + "'");
  const std::string unwritable = dir + "/no/such/folder/v.mp4";
  expect_usage([&] { write_video_frames(unwritable, frames); }, "cannot create video file '" + unwritable + "'");
  const std::string missing = dir + "/missing.mp4";
  expect_usage([&] { read_video(missing); }, "cannot open video '" + missing + "'");
  const std::string text = dir + "/text.mp4";
  testing::write_text(text, "this is not a video\n");
  expect_usage([&] { read_video(text); }, "video '" + text + "'");
  VideoWriteOptions bad;
  bad.fps = 0;
  expect_usage([&] { write_video_frames(dir + "/x.mp4", frames, bad); }, "video fps must be in 1..1000");
  EXPECT_THROW(write_video_frames(dir + "/y.mp4", torch::zeros({2, 8, 8, 4}, torch::kUInt8)), c10::Error);
}

TEST(VideoFileTest, WithoutFfmpegWritingSaysSo) {
  if (video_io_available()) GTEST_SKIP() << "this build has FFmpeg's libraries";
  try {
    write_video_frames("x.mp4", torch::zeros({1, 2, 2, 3}, torch::kUInt8));
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("no FFmpeg libraries"), std::string::npos) << e.what();
  }
}

}  // namespace video_file_test
}  // namespace ablate::io
