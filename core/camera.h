// Camera conditioning: a built-in synthetic trajectory (poses + intrinsics at 480x832), the
// reference's interpolation to latent frames (linear translation, quaternion slerp), framewise
// relative poses with normalized translation, and per-pixel Plücker rays (rays_o ‖ rays_d)
// laid out as [1, 6*8*8, lat_f, lat_h, lat_w] for the DiT's camera patch embedding; in action mode
// rays_d ‖ W,A,S,D as [1, 7*8*8, lat_f, lat_h, lat_w].
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace ablate {

// How the poses are interpolated to the latent frames.
enum class PoseInterpolation {
  kQuaternionSlerp,  // slerp between the two neighbouring quaternions (the synthetic trajectory's,
                     // kept so that its committed MD5s stay)
  kScipy,            // scipy 1.10's interp1d + Slerp operation for operation (poses from a file)
};

struct CameraTrajectory {
  torch::Tensor c2w;         // [N, 4, 4] float32 (or float64) camera-to-world (OpenCV), CPU
  torch::Tensor intrinsics;  // [N, 4] float32 (fx, fy, cx, cy) at 480x832, CPU; only row 0 is used
  PoseInterpolation interpolation = PoseInterpolation::kQuaternionSlerp;
};

// A smooth dolly forward with a slow yaw and a slight sway: N poses. variant k > 0 turns and
// sways more (another request's path); 0 is the default path.
CameraTrajectory synthetic_trajectory(int64_t num_poses, int64_t variant = 0);

// Poses at `count` evenly spaced targets over [0, N-1]: translation linear, rotation slerp
// (quaternion signs made continuous first, as the reference). -> [count, 4, 4] float32
torch::Tensor interpolate_poses(const torch::Tensor& c2w, int64_t count);

// The reference's interpolate_camera_poses with scipy 1.10: translation by interp1d (linear, float64),
// rotation by Rotation.from_matrix -> as_quat -> sign continuity -> Slerp evaluated as scipy does
// (a knot t = k is reached from the left interval with alpha = 1, R_{k-1} * exp(log(R_{k-1}^-1 R_k)),
// not R_k itself). c2w [N, 4, 4] (N >= 2) -> [count, 4, 4] float32
torch::Tensor interpolate_poses_scipy(const torch::Tensor& c2w, int64_t count);

// The reference's frame count with a poses file: min(((frames-1)//4)*4+1, ((N-1)//4)*4+1).
// UsageError when fewer than 1 pose.
int64_t frames_for_poses(int64_t frames, int64_t num_poses);

// get_Ks_transformed(Ks, 480, 832, height, width, height, width)[0]: row 0 of the intrinsics rescaled
// to the video size, fp32 x the Python-float scale (rounded to fp32). [N, 4] -> [4] float32
torch::Tensor scaled_intrinsics(const torch::Tensor& intrinsics, int64_t height, int64_t width);

// compute_relative_poses(framewise=True, normalize_trans=True). [F, 4, 4] -> [F, 4, 4]
torch::Tensor relative_poses_framewise(const torch::Tensor& c2w);

// Plücker embedding rays_o ‖ rays_d per pixel. c2w [F, 4, 4], K [F, 4] -> [F, H, W, 6]
torch::Tensor plucker_rays(const torch::Tensor& c2w, const torch::Tensor& K, int64_t height, int64_t width);

// The whole camera path of generate() ('cam' control, 6 channels per pixel): trajectory of `frames`
// poses -> [1, 384, lat_f, lat_h, lat_w]
torch::Tensor camera_conditioning(const CameraTrajectory& trajectory, int64_t lat_f, int64_t lat_h,
                                  int64_t lat_w, int64_t height, int64_t width, torch::Device device,
                                  torch::Dtype dtype);

// action.npy rows -> the reference's action[:frames][::4] as float32: [N, 4] -> [(frames-1)//4+1, 4].
// UsageError (naming `source`) when the rows do not cover lat_f latent frames.
torch::Tensor subsample_action(const torch::Tensor& action, int64_t frames, int64_t lat_f,
                               const std::string& source);

// The 'act' control path (7 channels per pixel): rays_d of the trajectory ‖ the W, A, S, D row of the
// latent frame, each laid out as the camera rays -> [1, 448, lat_f, lat_h, lat_w].
// action_rows: [lat_f, 4] float32 (subsample_action).
torch::Tensor action_conditioning(const CameraTrajectory& trajectory, const torch::Tensor& action_rows,
                                  int64_t lat_f, int64_t lat_h, int64_t lat_w, int64_t height, int64_t width,
                                  torch::Device device, torch::Dtype dtype);

// A held W key (forward) for every frame: the action of the synthetic workload. -> [frames, 4] float32
torch::Tensor synthetic_action(int64_t frames);

}  // namespace ablate
