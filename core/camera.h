// Camera conditioning: a built-in synthetic trajectory (poses + intrinsics at 480x832), the
// reference's interpolation to latent frames (linear translation, quaternion slerp), framewise
// relative poses with normalized translation, and per-pixel Plücker rays (rays_o ‖ rays_d)
// laid out as [1, 6*8*8, lat_f, lat_h, lat_w] for the DiT's camera patch embedding.
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace ablate {

struct CameraTrajectory {
  torch::Tensor c2w;         // [N, 4, 4] float32 camera-to-world (OpenCV), CPU
  torch::Tensor intrinsics;  // [N, 4] float32 (fx, fy, cx, cy) at 480x832, CPU
};

// A smooth dolly forward with a slow yaw and a slight sway: N poses. variant k > 0 turns and
// sways more (another request's path); 0 is the default path.
CameraTrajectory synthetic_trajectory(int64_t num_poses, int64_t variant = 0);

// Poses at `count` evenly spaced targets over [0, N-1]: translation linear, rotation slerp
// (quaternion signs made continuous first, as the reference). -> [count, 4, 4] float32
torch::Tensor interpolate_poses(const torch::Tensor& c2w, int64_t count);

// compute_relative_poses(framewise=True, normalize_trans=True). [F, 4, 4] -> [F, 4, 4]
torch::Tensor relative_poses_framewise(const torch::Tensor& c2w);

// Plücker embedding rays_o ‖ rays_d per pixel. c2w [F, 4, 4], K [F, 4] -> [F, H, W, 6]
torch::Tensor plucker_rays(const torch::Tensor& c2w, const torch::Tensor& K, int64_t height, int64_t width);

// The whole camera path of generate(): trajectory of `frames` poses -> [1, 384, lat_f, lat_h, lat_w]
torch::Tensor camera_conditioning(const CameraTrajectory& trajectory, int64_t lat_f, int64_t lat_h,
                                  int64_t lat_w, int64_t height, int64_t width, torch::Device device,
                                  torch::Dtype dtype);

}  // namespace ablate
