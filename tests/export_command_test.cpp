// Real model I/O through the CLI: export-checkpoint then generate --checkpoint-dir keeps the
// seeded run's MD5 (bf16 files, bf16 run); --image / --poses / --intrinsics drive the geometry
// and the camera; --save-video and --save-contact-sheet write files that decode back; bad files
// exit 2 naming them.
#include <gtest/gtest.h>

#include <regex>

#include "core/camera.h"
#include "core/io/npy.h"
#include "core/io/png_file.h"
#include "core/io/video_file.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace export_command_test {
using testing::run_ablate;

std::string md5_of(const std::string& output) {
  std::smatch m;
  static const std::regex re("\\nmd5: ([0-9a-f]{32})");
  return std::regex_search(output, m, re) ? m[1].str() : "";
}

const char* kSmall = " --preset tiny --size 32*32 --frames 9 ";

TEST(ExportCommandTest, ExportedCheckpointReproducesTheSeededMd5) {
  const std::string dir = testing::fresh_dir("export");
  auto r = run_ablate("export-checkpoint --preset tiny --seed-device cpu --out " + dir + "/ckpt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("values computed on cpu"), std::string::npos) << r.output;
  const auto seeded = run_ablate(std::string("generate") + kSmall + "--dtype bf16");
  const auto loaded = run_ablate(std::string("generate") + kSmall + "--dtype bf16 --checkpoint-dir " + dir + "/ckpt");
  ASSERT_EQ(seeded.exit_code, 0) << seeded.output;
  ASSERT_EQ(loaded.exit_code, 0) << loaded.output;
  EXPECT_EQ(md5_of(seeded.output).size(), 32u);
  EXPECT_EQ(md5_of(loaded.output), md5_of(seeded.output)) << loaded.output;
  // a checkpoint of another preset is refused before any work, naming the file
  r = run_ablate("generate --no-preflight --preset 1.3b --checkpoint-dir " + dir + "/ckpt");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(dir + "/ckpt"), std::string::npos) << r.output;
}

TEST(ExportCommandTest, RealInputsAndVideoOutputs) {
  if (!io::png_available()) GTEST_SKIP() << "this build has no libpng";
  const std::string dir = testing::fresh_dir("real-inputs");
  // a 4:3 image: the aspect ratio is the image's, the area the --size's (64*64 = 4096 -> 48x64)
  const auto img = torch::randint(0, 256, {300, 400, 3}, torch::kUInt8);
  io::write_png(dir + "/card.png", img);
  const auto traj = synthetic_trajectory(21);
  io::write_npy(dir + "/poses.npy", traj.c2w);
  io::write_npy(dir + "/intrinsics.npy", traj.intrinsics);
  std::string args = "generate --preset tiny --size 64*64 --frames 81 --image " + dir + "/card.png --poses " + dir +
                     "/poses.npy --intrinsics " + dir + "/intrinsics.npy --save-contact-sheet " + dir + "/sheet.png";
  if (io::video_io_available()) args += " --save-video " + dir + "/video.mp4";
  const auto r = run_ablate(args);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // 21 poses clamp 81 frames to 21 (4n+1), 48x64 from the 4:3 image
  EXPECT_NE(r.output.find("video 21x48x64"), std::string::npos) << r.output;
  const auto sheet = io::read_png(dir + "/sheet.png");
  EXPECT_EQ(sheet.pixels.dim(), 3);
  EXPECT_EQ(sheet.pixels.size(2), 3);
  if (io::video_io_available()) {
    const auto video = io::read_video(dir + "/video.mp4");
    EXPECT_EQ(video.frames.size(0), 21);
    EXPECT_EQ(video.frames.size(1), 48);
    EXPECT_EQ(video.frames.size(2), 64);
  }
}

TEST(ExportCommandTest, BadInputFilesExitTwoNamingThem) {
  const std::string dir = testing::fresh_dir("bad-inputs");
  testing::write_text(dir + "/not.png", "not an image");
  testing::expect_usage_error(std::string("generate") + kSmall + "--image " + dir + "/not.png", dir + "/not.png");
  testing::expect_usage_error(std::string("generate") + kSmall + "--image " + dir + "/missing.png", "cannot open image " + dir + "/missing.png");
  testing::expect_usage_error(std::string("generate") + kSmall + "--poses " + dir + "/not.png", "--poses and --intrinsics go together");
  testing::expect_usage_error(std::string("generate") + kSmall + "--tokenizer " + dir + "/not.png", dir + "/not.png");
  testing::expect_usage_error(std::string("generate") + kSmall + "--save-video /nonexistent/v.mp4", "does not exist");
  testing::expect_usage_error("export-checkpoint --preset huge --out " + dir + "/x", "unknown preset 'huge'");
}

TEST(ExportCommandTest, SeedDeviceCudaWithoutAGpuIsRefused) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has a CUDA device";
  const auto r =
      run_ablate("export-checkpoint --preset tiny --seed-device cuda --out " + testing::fresh_dir("export-cuda") + "/ckpt");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--seed-device cuda: this machine has no CUDA device (use auto or cpu)"), std::string::npos)
      << r.output;
}

}  // namespace export_command_test
}  // namespace ablate
