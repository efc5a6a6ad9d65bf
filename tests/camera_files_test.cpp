// Camera path and action files: poses / intrinsics / action .npy read and checked, scipy 1.10's
// interpolation reproduced bit for bit (expected MD5s computed with scipy 1.10.1 + NumPy 1.24 on
// the same poses), the reference's frame clamp, intrinsics rescale, Plücker rays and their
// latent layout, and the 7-channel action-mode input.
#include "core/io/camera_files.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/io/npy.h"
#include "core/video_hash.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace camera_files_test {

using testing::usage_error_of;

// A rotation about a drifting axis through up to 7 rad (past pi, so from_matrix's quaternions flip
// sign 11 times and the continuity fix is exercised) plus a curved translation, float32.
// Python mirror used for the expected MD5s (same IEEE double operations, then np.float32):
//   s = i / (n - 1); ax, ay, az = 0.3 * s - 0.1, 1.0, 0.2 + 0.4 * s * s
//   an = math.sqrt(ax * ax + ay * ay + az * az); c, sn = math.cos(3.5 * s), math.sin(3.5 * s)
//   x, y, z, w = sn * ax / an, sn * ay / an, sn * az / an, c; R = the usual 1 - 2 * (y * y + z * z) ...
//   t = (0.7 * s, -0.1 * s * s, 2.0 * s)
// and then: interp1d(src, t, axis=0, kind='linear', bounds_error=False, fill_value='extrapolate')(tgt),
// Slerp(src, Rotation.from_quat(q_continuous))(tgt).as_matrix(), packed into [n, 4, 4] float64, .astype(float32).
torch::Tensor make_test_poses(int64_t n) {
  auto out = torch::zeros({n, 4, 4}, torch::kFloat);
  auto a = out.accessor<float, 3>();
  for (int64_t i = 0; i < n; ++i) {
    const double s = static_cast<double>(i) / static_cast<double>(n - 1);
    const double ax = 0.3 * s - 0.1, ay = 1.0, az = 0.2 + 0.4 * s * s;
    const double an = std::sqrt(ax * ax + ay * ay + az * az);
    const double c = std::cos(3.5 * s), sn = std::sin(3.5 * s);
    const double x = sn * ax / an, y = sn * ay / an, z = sn * az / an, w = c;
    const double R[3][3] = {{1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)},
                            {2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)},
                            {2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)}};
    for (int r = 0; r < 3; ++r)
      for (int col = 0; col < 3; ++col) a[i][r][col] = static_cast<float>(R[r][col]);
    a[i][0][3] = static_cast<float>(0.7 * s);
    a[i][1][3] = static_cast<float>(-0.1 * s * s);
    a[i][2][3] = static_cast<float>(2.0 * s);
    a[i][3][3] = 1.0f;
  }
  return out;
}

class CameraFilesTest : public ::testing::Test {
 protected:
  std::string dir_ = testing::make_scratch_dir("camera_files");
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
};

TEST_F(CameraFilesTest, ScipyInterpolationBitForBit) {
  const auto poses = make_test_poses(33);
  ASSERT_EQ(tensor_md5(poses), "8ff98a4b5630e6153ea579e7b7af6ba0");  // the Python mirror's poses
  // 33 poses -> 9 latent frames: integer knots 0, 4, ..., 32 (scipy reaches them with alpha = 1)
  const auto knots = interpolate_poses_scipy(poses, 9);
  ASSERT_EQ(knots.sizes(), torch::IntArrayRef({9, 4, 4}));
  EXPECT_EQ(tensor_md5(knots), "6618099ec00c27995766829544e55a50");
  // 7 targets: knots 16/3 apart, alpha strictly inside the intervals
  EXPECT_EQ(tensor_md5(interpolate_poses_scipy(poses, 7)), "5da16e18c3ae2199b1d3314270a1be6f");
  // translation at a knot is the pose's own (interp1d's slope * 1 + y_lo is exact)
  EXPECT_TRUE(torch::equal(knots.select(2, 3).slice(1, 0, 3), poses.slice(0, 0, 33, 4).select(2, 3).slice(1, 0, 3)));
  // float64 poses holding the same values give the same result (scipy reads both as float64)
  EXPECT_TRUE(torch::equal(interpolate_poses_scipy(poses.to(torch::kDouble), 9), knots));
  // the synthetic path's slerp agrees to float32 rounding
  const auto plain = interpolate_poses(poses, 9);
  EXPECT_LT((plain - knots).abs().max().item<float>(), 1e-6f);
}

TEST_F(CameraFilesTest, FramesClampToFourNPlusOneAndToThePoses) {
  EXPECT_EQ(frames_for_poses(81, 269), 81);
  EXPECT_EQ(frames_for_poses(81, 961), 81);
  EXPECT_EQ(frames_for_poses(161, 52), 49);  // ((52-1)//4)*4+1
  EXPECT_EQ(frames_for_poses(161, 49), 49);
  EXPECT_EQ(frames_for_poses(83, 961), 81);  // the reference clamps frame_num to 4n+1 too
  EXPECT_EQ(frames_for_poses(81, 1), 1);
  EXPECT_EQ(usage_error_of([] { frames_for_poses(81, 0); }),
            "the camera poses hold no pose (expected [N, 4, 4] with N >= 1)");
}

TEST_F(CameraFilesTest, IntrinsicsRescaledInFp32) {
  // examples/03's row 0, to the 464x832 video: scale_x = 1, scale_y = 464/480 rounded to fp32
  auto K = torch::tensor({415.5298f, 415.6922f, 415.7779f, 239.7778f}).repeat({5, 1});
  K[3][1] = 1.0f;  // rows after 0 are not used
  const auto k = scaled_intrinsics(K, 464, 832);
  const float sy = static_cast<float>(464.0 / 480.0);
  EXPECT_EQ(k[0].item<float>(), 415.5298f);
  EXPECT_EQ(k[1].item<float>(), 415.6922f * sy);
  EXPECT_EQ(k[2].item<float>(), 415.7779f);
  EXPECT_EQ(k[3].item<float>(), 239.7778f * sy);
  EXPECT_NEAR(k[1].item<float>(), 401.83578, 1e-4);  // reference-facts §2 canonical values
  EXPECT_NEAR(k[3].item<float>(), 231.78519, 1e-4);
}

TEST_F(CameraFilesTest, PluckerRaysPixelCentresNormalizedThenRotated) {
  // one frame: a 90 degree yaw and a translation; K with fx != fy
  auto c2w = torch::eye(4).unsqueeze(0).clone();
  c2w[0][0][0] = 0; c2w[0][0][2] = 1; c2w[0][2][0] = -1; c2w[0][2][2] = 0;
  c2w[0][0][3] = 0.25; c2w[0][1][3] = -0.5; c2w[0][2][3] = 0.75;
  const auto K = torch::tensor({{20.0f, 10.0f, 8.0f, 4.0f}});
  const auto rays = plucker_rays(c2w, K, 8, 16);
  ASSERT_EQ(rays.sizes(), torch::IntArrayRef({1, 8, 16, 6}));
  for (auto [y, x] : {std::pair<int, int>{0, 0}, {3, 5}, {7, 15}}) {
    // (o, d): o is the translation; d = R * normalize(((x+0.5)-cx)/fx, ((y+0.5)-cy)/fy, 1)
    const double dx = ((x + 0.5) - 8.0) / 20.0, dy = ((y + 0.5) - 4.0) / 10.0, n = std::sqrt(dx * dx + dy * dy + 1);
    const double d[3] = {dx / n, dy / n, 1 / n};
    const double rd[3] = {d[2], d[1], -d[0]};  // R = [[0,0,1],[0,1,0],[-1,0,0]]
    EXPECT_FLOAT_EQ(rays[0][y][x][0].item<float>(), 0.25f);
    EXPECT_FLOAT_EQ(rays[0][y][x][1].item<float>(), -0.5f);
    EXPECT_FLOAT_EQ(rays[0][y][x][2].item<float>(), 0.75f);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(rays[0][y][x][3 + c].item<float>(), rd[c], 1e-6) << y << "," << x << "," << c;
  }
}

TEST_F(CameraFilesTest, LatentLayoutIsChannelTimes64PlusRowTimes8PlusColumn) {
  CameraTrajectory traj = io::camera_trajectory(make_test_poses(33), torch::tensor({{400.0f, 410.0f, 416.0f, 240.0f}}));
  const int64_t lat_f = 9, lat_h = 4, lat_w = 6, h = 32, w = 48;
  const auto cond = camera_conditioning(traj, lat_f, lat_h, lat_w, h, w, torch::kCPU, torch::kFloat);
  ASSERT_EQ(cond.sizes(), torch::IntArrayRef({1, 384, lat_f, lat_h, lat_w}));
  // the same rays computed step by step
  const auto K = scaled_intrinsics(traj.intrinsics, h, w).repeat({lat_f, 1});
  const auto rays = plucker_rays(relative_poses_framewise(interpolate_poses_scipy(traj.c2w, lat_f)), K, h, w);
  for (int64_t f : {0, 4, 8})
    for (int64_t ch : {0, 2, 3, 5})
      for (auto [r, s] : {std::pair<int64_t, int64_t>{0, 0}, {3, 7}, {7, 2}})
        for (auto [hl, wl] : {std::pair<int64_t, int64_t>{0, 0}, {3, 5}, {1, 2}})
          EXPECT_EQ(cond[0][ch * 64 + r * 8 + s][f][hl][wl].item<float>(),
                    rays[f][8 * hl + r][8 * wl + s][ch].item<float>());
  // frame 0 is the identity: rays_o zero there
  EXPECT_EQ(cond.slice(1, 0, 192).select(2, 0).abs().max().item<float>(), 0.0f);
}

TEST_F(CameraFilesTest, ActionModeIsRaysDThenWasdAs448Channels) {
  CameraTrajectory traj = io::camera_trajectory(make_test_poses(33), torch::tensor({{400.0f, 410.0f, 416.0f, 240.0f}}));
  const int64_t frames = 33, lat_f = 9, lat_h = 2, lat_w = 4, h = 16, w = 32;
  // 40 rows of int32 keys; rows 0, 4, ..., 32 are used
  auto keys = torch::zeros({40, 4}, torch::kInt);
  for (int64_t i = 0; i < 40; ++i) {
    keys[i][i % 4] = 1;
    keys[i][(i / 4) % 4] = 1;
  }
  io::write_npy(path("action.npy"), keys);
  const auto action = io::read_action_file(path("action.npy"));
  EXPECT_EQ(action.scalar_type(), torch::kFloat);
  const auto rows = subsample_action(action, frames, lat_f, "action.npy");
  ASSERT_EQ(rows.sizes(), torch::IntArrayRef({lat_f, 4}));
  EXPECT_TRUE(torch::equal(rows, keys.slice(0, 0, 33, 4).to(torch::kFloat)));

  const auto act = action_conditioning(traj, rows, lat_f, lat_h, lat_w, h, w, torch::kCPU, torch::kFloat);
  ASSERT_EQ(act.sizes(), torch::IntArrayRef({1, 448, lat_f, lat_h, lat_w}));
  // channels 0..191: rays_d laid out exactly as in the camera input (its channels 192..383)
  const auto cam = camera_conditioning(traj, lat_f, lat_h, lat_w, h, w, torch::kCPU, torch::kFloat);
  EXPECT_TRUE(torch::equal(act.slice(1, 0, 192), cam.slice(1, 192, 384)));
  // channels 192 + c*64 + r*8 + s: key c of the latent frame, the same for every pixel
  for (int64_t c = 0; c < 4; ++c)
    for (int64_t f = 0; f < lat_f; ++f) {
      const auto block = act[0].slice(0, 192 + c * 64, 192 + (c + 1) * 64).select(1, f);
      EXPECT_TRUE(torch::equal(block, torch::full_like(block, rows[f][c].item<float>()))) << c << "," << f;
    }
  // bf16 output as the DiT takes it
  EXPECT_EQ(action_conditioning(traj, rows, lat_f, lat_h, lat_w, h, w, torch::kCPU, torch::kBFloat16).scalar_type(),
            torch::kBFloat16);
  // too few rows for the video
  EXPECT_EQ(usage_error_of([&] { subsample_action(action.slice(0, 0, 30), frames, lat_f, "action.npy"); }),
            "action.npy: 30 action rows for a video of 33 frames; the reference takes rows 0, 4, ..., 32 (9 latent "
            "frames), so at least 33 rows are needed");
  EXPECT_EQ(synthetic_action(5).sum(0)[0].item<float>(), 5.0f);
}

TEST_F(CameraFilesTest, FilesReadAndCheckedWithNamedErrors) {
  const auto poses = make_test_poses(13);
  io::write_npy(path("poses.npy"), poses);
  io::write_npy(path("intrinsics.npy"), torch::tensor({{415.5f, 415.7f, 415.8f, 239.8f}}).repeat({13, 1}));
  const auto traj = io::read_camera_files(path("poses.npy"), path("intrinsics.npy"));
  EXPECT_EQ(traj.interpolation, PoseInterpolation::kScipy);
  EXPECT_TRUE(torch::equal(traj.c2w, poses));
  EXPECT_EQ(traj.intrinsics.sizes(), torch::IntArrayRef({13, 4}));

  io::write_npy(path("int_poses.npy"), poses.to(torch::kLong));
  EXPECT_EQ(usage_error_of([&] { io::read_camera_files(path("int_poses.npy"), path("intrinsics.npy")); }),
            path("int_poses.npy") + ": expected camera-to-world poses as [N, 4, 4] float32 or float64, found [13, 4, 4] "
                                    "int64");
  io::write_npy(path("rt.npy"), poses.slice(1, 0, 3));
  EXPECT_EQ(usage_error_of([&] { io::read_camera_files(path("rt.npy"), path("intrinsics.npy")); }),
            path("rt.npy") + ": expected camera-to-world poses as [N, 4, 4] float32 or float64, found [13, 3, 4] float32");
  io::write_npy(path("k3.npy"), torch::zeros({13, 3}));
  EXPECT_EQ(usage_error_of([&] { io::read_camera_files(path("poses.npy"), path("k3.npy")); }),
            path("k3.npy") + ": expected intrinsics (fx, fy, cx, cy at 480x832) as [N, 4] float32 or float64, found "
                             "[13, 3] float32");
  EXPECT_NE(usage_error_of([&] { io::read_camera_files(path("nope.npy"), path("intrinsics.npy")); })
                .find("cannot open " + path("nope.npy")),
            std::string::npos);
  auto nan = poses.clone();
  nan[2][0][3] = std::nanf("");
  io::write_npy(path("nan.npy"), nan);
  EXPECT_EQ(usage_error_of([&] { io::read_camera_files(path("nan.npy"), path("intrinsics.npy")); }),
            path("nan.npy") + ": the poses hold NaN or inf");
  io::write_npy(path("act.npy"), torch::zeros({10, 5}, torch::kInt));
  EXPECT_EQ(usage_error_of([&] { io::read_action_file(path("act.npy")); }),
            path("act.npy") + ": expected actions (W, A, S, D as 0/1) as [N, 4] int32, float32, int64, float64, uint8 or "
                              "bool, found [10, 5] int32");
}

}  // namespace camera_files_test
}  // namespace ablate
