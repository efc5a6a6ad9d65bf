// Camera path and action inputs from .npy files, as the reference loads an action path's
// poses.npy ([N, 4, 4] OpenCV camera-to-world), intrinsics.npy ([N, 4] fx, fy, cx, cy at 480x832)
// and action.npy ([N, 4] W, A, S, D as 0/1).
#pragma once
#include <torch/torch.h>

#include <string>

#include "core/camera.h"

namespace ablate::io {

/// Checks poses [N, 4, 4] and intrinsics [M, 4] (float32 or float64, finite, N >= 1, M >= 1) and
/// makes a trajectory interpolated as the reference's scipy does. `poses_source` and
/// `intrinsics_source` name where they came from in messages.
CameraTrajectory camera_trajectory(const torch::Tensor& poses, const torch::Tensor& intrinsics,
                                   const std::string& poses_source = "camera poses",
                                   const std::string& intrinsics_source = "camera intrinsics");

/// Reads poses.npy and intrinsics.npy (UsageError naming the file, the expected "[N, 4, 4] float32"
/// and what was found).
CameraTrajectory read_camera_files(const std::string& poses_path, const std::string& intrinsics_path);

/// Checks an action tensor: [N, 4] of int32/int64/float32/float64/uint8/bool -> [N, 4] float32.
torch::Tensor action_rows(const torch::Tensor& action, const std::string& source = "action");

/// Reads action.npy -> [N, 4] float32.
torch::Tensor read_action_file(const std::string& path);

}  // namespace ablate::io
