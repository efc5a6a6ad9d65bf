// generate() with real inputs on the tiny preset (core/pipeline.cpp's input functions): a PNG and a
// JPEG made by the test, npy poses + intrinsics, npy actions with a control_dim 7 DiT; without them
// the synthetic run is unchanged.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#ifdef ABLATE_HAVE_PNG
#include <png.h>
#endif
#ifdef ABLATE_HAVE_JPEG
#include <jpeglib.h>
#endif

#include "core/error.h"
#include "core/io/camera_files.h"
#include "core/io/image_file.h"
#include "core/io/npy.h"
#include "core/pipeline.h"
#include "core/video_hash.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace pipeline_inputs_test {

PipelineOptions tiny_options(int64_t control_dim = 6) {
  PipelineOptions o;
  o.model = preset("tiny");
  o.model.dit.control_dim(control_dim);
  return o;
}

Pipeline& tiny_pipeline() {
  static Pipeline p(tiny_options());
  return p;
}

std::string md5_of(const GenerateOutput& out) { return tensor_md5(video_to_uint8(out.video)); }

using testing::usage_error_of;

// [H, W, 3] uint8, smooth with some detail.
[[maybe_unused]] torch::Tensor picture(int64_t h, int64_t w) {
  auto y = torch::linspace(0, 1, h).view({h, 1, 1}), x = torch::linspace(0, 1, w).view({1, w, 1});
  auto c = torch::tensor({0.0f, 1.0f, 2.0f}).view({1, 1, 3});
  return (127.5 + 120 * torch::sin(6 * x + 4 * y * y + 2 * c)).round().clamp(0, 255).to(torch::kByte);
}

// Camera poses: a slow dolly with a yaw, float32 [n, 4, 4].
torch::Tensor poses(int64_t n) {
  auto out = torch::eye(4).repeat({n, 1, 1});
  for (int64_t i = 0; i < n; ++i) {
    const double a = 0.02 * static_cast<double>(i);
    out[i][0][0] = std::cos(a); out[i][0][2] = std::sin(a);
    out[i][2][0] = -std::sin(a); out[i][2][2] = std::cos(a);
    out[i][2][3] = 0.1 * static_cast<double>(i);
    out[i][0][3] = 0.01 * static_cast<double>(i * i);
  }
  return out;
}

GenerateRequest request() {
  GenerateRequest r;
  r.geometry.frames = 9;  // one chunk of 3 latent frames
  return r;
}

// The synthetic run of request(), once.
const GenerateOutput& synthetic_run() {
  static const GenerateOutput out = tiny_pipeline().generate(request());
  return out;
}

class PipelineInputsTest : public ::testing::Test {
 protected:
  std::string dir_ = testing::make_scratch_dir("pipeline_inputs");
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
};

TEST_F(PipelineInputsTest, NoInputsIsTheSyntheticRun) {
  GenerateRequest with_empty = request();
  with_empty.inputs = GenerateInputs{};  // every field present and empty
  with_empty.inputs.image_path = with_empty.inputs.poses_path = with_empty.inputs.action_path = "";
  const auto again = tiny_pipeline().generate(with_empty);
  EXPECT_EQ(md5_of(synthetic_run()), md5_of(again));
  EXPECT_EQ(hash_chain(synthetic_run().step_latents), hash_chain(again.step_latents));
  EXPECT_EQ(again.geometry.height, 64);
  EXPECT_EQ(again.geometry.width, 64);
}

TEST_F(PipelineInputsTest, PngImageGivesTheAspectAndTheFirstFrame) {
  if (!io::have_png_decoder()) GTEST_SKIP() << "this build lacks libpng";
#ifdef ABLATE_HAVE_PNG
  // a 4:3 PNG at --size 64*64: sqrt(4096 * 0.75) // 8 // 2 * 2 = 6, sqrt(4096 / 0.75) -> 8: 48x64
  const auto rgb = picture(60, 80);
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = 80;
  image.height = 60;
  image.format = PNG_FORMAT_RGB;
  ASSERT_TRUE(png_image_write_to_file(&image, path("card.png").c_str(), 0, rgb.data_ptr<uint8_t>(), 0, nullptr));
  GenerateRequest r = request();
  r.inputs.image_path = path("card.png");
  EXPECT_EQ(tiny_pipeline().geometry_for(r).height, 48);
  const auto out = tiny_pipeline().generate(r);
  EXPECT_EQ(out.geometry.lat_h, 6);
  EXPECT_EQ(out.geometry.lat_w, 8);
  EXPECT_EQ(out.video.sizes(), torch::IntArrayRef({3, 9, 48, 64}));
  // the decoded tensor in place of the path: the same run
  GenerateRequest by_tensor = request();
  by_tensor.inputs.image = rgb;
  EXPECT_EQ(md5_of(tiny_pipeline().generate(by_tensor)), md5_of(out));
  // a 1:1 image with the --size's aspect takes the synthetic geometry but its own pixels
  GenerateRequest square = request();
  square.inputs.image = picture(32, 32);
  const auto sq = tiny_pipeline().generate(square);
  EXPECT_EQ(sq.geometry.height, 64);
  EXPECT_NE(md5_of(sq), md5_of(synthetic_run()));
#endif
}

TEST_F(PipelineInputsTest, JpegImageThroughLibjpeg) {
  if (!io::have_jpeg_decoder()) GTEST_SKIP() << "this build lacks libjpeg";
#ifdef ABLATE_HAVE_JPEG
  // portrait 3:4 at --size 64*64 -> 64x48
  const auto rgb = picture(80, 60);
  {
    FILE* f = std::fopen(path("card.jpg").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    jpeg_compress_struct cinfo;
    jpeg_error_mgr err;
    cinfo.err = jpeg_std_error(&err);
    jpeg_create_compress(&cinfo);
    jpeg_stdio_dest(&cinfo, f);
    cinfo.image_width = 60;
    cinfo.image_height = 80;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 95, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
      JSAMPROW row = rgb.data_ptr<uint8_t>() + cinfo.next_scanline * 60 * 3;
      jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    std::fclose(f);
  }
  GenerateRequest r = request();
  r.inputs.image_path = path("card.jpg");
  const auto out = tiny_pipeline().generate(r);
  EXPECT_EQ(out.video.sizes(), torch::IntArrayRef({3, 9, 64, 48}));
  GenerateRequest decoded = request();
  decoded.inputs.image = io::read_image_rgb(path("card.jpg"));
  EXPECT_EQ(md5_of(tiny_pipeline().generate(decoded)), md5_of(out));
#endif
}

TEST_F(PipelineInputsTest, NpyPosesClampTheFramesAndDriveTheCamera) {
  io::write_npy(path("poses.npy"), poses(14));
  io::write_npy(path("intrinsics.npy"), torch::tensor({{415.5f, 415.7f, 415.8f, 239.8f}}).repeat({14, 1}));
  GenerateRequest r = request();
  r.geometry.frames = 81;  // 14 poses -> 13 frames -> 4 latent frames -> trimmed to 3 -> 9 frames
  r.inputs.poses_path = path("poses.npy");
  r.inputs.intrinsics_path = path("intrinsics.npy");
  const auto out = tiny_pipeline().generate(r);
  EXPECT_EQ(out.geometry.frames, 9);
  EXPECT_EQ(out.geometry.lat_f, 3);
  EXPECT_EQ(out.dit_forwards, 5);
  EXPECT_TRUE(torch::isfinite(out.latents).all().item<bool>());
  EXPECT_NE(md5_of(out), md5_of(synthetic_run()));
  // the same trajectory as tensors
  GenerateRequest by_tensor = request();
  by_tensor.inputs.camera = io::read_camera_files(path("poses.npy"), path("intrinsics.npy"));
  EXPECT_EQ(md5_of(tiny_pipeline().generate(by_tensor)), md5_of(out));

  // too few poses for one chunk
  io::write_npy(path("eight.npy"), poses(8));
  GenerateRequest few = request();
  few.inputs.poses_path = path("eight.npy");
  few.inputs.intrinsics_path = path("intrinsics.npy");
  EXPECT_EQ(usage_error_of([&] { tiny_pipeline().generate(few); }),
            path("eight.npy") + ": 8 poses give a video of 5 frames; one chunk of 3 latent frames needs at least 9 poses");
  // one file without the other
  GenerateRequest half = request();
  half.inputs.poses_path = path("poses.npy");
  EXPECT_EQ(usage_error_of([&] { tiny_pipeline().generate(half); }),
            "camera files: --poses and --intrinsics go together; got poses '" + path("poses.npy") +
                "' and intrinsics ''");
  // a wrong file is named before any work
  GenerateRequest wrong = r;
  wrong.inputs.intrinsics_path = path("poses.npy");
  EXPECT_NE(usage_error_of([&] { tiny_pipeline().generate(wrong); }).find(path("poses.npy") + ": expected intrinsics"),
            std::string::npos);
  GenerateRequest missing_image = request();
  missing_image.inputs.image_path = path("none.png");
  EXPECT_EQ(usage_error_of([&] { tiny_pipeline().geometry_for(missing_image); }),
            "cannot open image " + path("none.png") + ": No such file or directory");
}

TEST_F(PipelineInputsTest, ActionsNeedAndDriveAControlDim7Dit) {
  auto keys = torch::zeros({9, 4}, torch::kInt);
  keys.slice(0, 0, 5).select(1, 0).fill_(1);  // W, then D
  keys.slice(0, 5).select(1, 3).fill_(1);
  io::write_npy(path("action.npy"), keys);
  GenerateRequest r = request();
  r.inputs.action_path = path("action.npy");
  EXPECT_EQ(usage_error_of([&] { tiny_pipeline().generate(r); }),
            path("action.npy") + ": actions need an action-mode DiT (control_dim 7, 'act'); preset tiny is built for "
                                 "camera control (control_dim 6)");
  Pipeline act(tiny_options(7));
  const auto out = act.generate(r);
  EXPECT_EQ(out.dit_forwards, 5);
  EXPECT_TRUE(torch::isfinite(out.latents).all().item<bool>());
  // without a file: a held W key; other keys give another video
  const auto held_w = act.generate(request());
  EXPECT_NE(md5_of(held_w), md5_of(out));
  GenerateRequest w_file = request();
  w_file.inputs.action = torch::tensor({1, 0, 0, 0}, torch::kInt).repeat({9, 1});
  EXPECT_EQ(md5_of(act.generate(w_file)), md5_of(held_w));
  // too few rows
  GenerateRequest short_rows = request();
  short_rows.inputs.action = keys.slice(0, 0, 6);
  EXPECT_EQ(usage_error_of([&] { act.generate(short_rows); }),
            "the action input: 6 action rows for a video of 9 frames; the reference takes rows 0, 4, ..., 8 (3 latent "
            "frames), so at least 9 rows are needed");
}

}  // namespace pipeline_inputs_test
}  // namespace ablate
