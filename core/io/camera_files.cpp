#include "core/io/camera_files.h"

#include "core/error.h"
#include "core/io/npy.h"

namespace ablate::io {
namespace {

std::string sizes_text(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "] " + numpy_dtype_name(t.scalar_type());
}

bool is_float(const torch::Tensor& t) {
  return t.scalar_type() == torch::kFloat || t.scalar_type() == torch::kDouble;
}

}  // namespace

CameraTrajectory camera_trajectory(const torch::Tensor& poses, const torch::Tensor& intrinsics,
                                   const std::string& poses_source, const std::string& intrinsics_source) {
  ABLATE_USAGE_CHECK(poses.dim() == 3 && poses.size(1) == 4 && poses.size(2) == 4 && is_float(poses), poses_source,
                     ": expected camera-to-world poses as [N, 4, 4] float32, found ", sizes_text(poses));
  ABLATE_USAGE_CHECK(poses.size(0) >= 1, poses_source, ": expected at least one pose, found [0, 4, 4]");
  ABLATE_USAGE_CHECK(intrinsics.dim() == 2 && intrinsics.size(1) == 4 && is_float(intrinsics), intrinsics_source,
                     ": expected intrinsics as [N, 4] float32 (fx, fy, cx, cy at 480x832), found ",
                     sizes_text(intrinsics));
  ABLATE_USAGE_CHECK(intrinsics.size(0) >= 1, intrinsics_source, ": expected at least one row, found [0, 4]");
  ABLATE_USAGE_CHECK(torch::isfinite(poses).all().item<bool>(), poses_source, ": the poses hold NaN or inf");
  ABLATE_USAGE_CHECK(torch::isfinite(intrinsics[0]).all().item<bool>(), intrinsics_source,
                     ": row 0 (the one used) holds NaN or inf");
  CameraTrajectory t;
  t.c2w = poses.cpu().contiguous();  // float64 poses stay float64: scipy reads them as they are
  t.intrinsics = intrinsics.cpu().to(torch::kFloat).contiguous();  // torch.from_numpy(...).float()
  t.interpolation = PoseInterpolation::kScipy;
  return t;
}

CameraTrajectory read_camera_files(const std::string& poses_path, const std::string& intrinsics_path) {
  const auto poses = read_npy(poses_path, {"camera-to-world poses", {torch::kFloat, torch::kDouble}, {-1, 4, 4},
                                           "[N, 4, 4]"});
  const auto intrinsics = read_npy(intrinsics_path, {"intrinsics (fx, fy, cx, cy at 480x832)",
                                                     {torch::kFloat, torch::kDouble}, {-1, 4}, "[N, 4]"});
  return camera_trajectory(poses, intrinsics, poses_path, intrinsics_path);
}

torch::Tensor action_rows(const torch::Tensor& action, const std::string& source) {
  const auto d = action.scalar_type();
  const bool dtype_ok = d == torch::kFloat || d == torch::kDouble || d == torch::kInt || d == torch::kLong ||
                        d == torch::kByte || d == torch::kBool;
  ABLATE_USAGE_CHECK(action.dim() == 2 && action.size(1) == 4 && dtype_ok, source,
                     ": expected actions as [N, 4] int32 or float32 (W, A, S, D as 0/1), found ", sizes_text(action));
  ABLATE_USAGE_CHECK(action.size(0) >= 1, source, ": expected at least one action row, found [0, 4]");
  return action.cpu().to(torch::kFloat).contiguous();  // torch.from_numpy(...).float()
}

torch::Tensor read_action_file(const std::string& path) {
  const auto action = read_npy(path, {"actions (W, A, S, D as 0/1)",
                                      {torch::kInt, torch::kFloat, torch::kLong, torch::kDouble, torch::kByte,
                                       torch::kBool},
                                      {-1, 4}, "[N, 4]"});
  return action_rows(action, path);
}

}  // namespace ablate::io
