#include "core/camera.h"

#include <array>
#include <cmath>

namespace ablate {
namespace {

using Quat = std::array<double, 4>;  // (x, y, z, w) as scipy

// Rotation matrix -> unit quaternion (Shepperd's method, largest-component branch as scipy).
Quat quat_from_matrix(const double m[3][3]) {
  const double tr = m[0][0] + m[1][1] + m[2][2];
  std::array<double, 4> d{m[0][0], m[1][1], m[2][2], tr};
  int k = 0;
  for (int i = 1; i < 4; ++i)
    if (d[i] > d[k]) k = i;
  Quat q;
  if (k == 3) {
    q = {m[2][1] - m[1][2], m[0][2] - m[2][0], m[1][0] - m[0][1], 1 + tr};
  } else {
    const int i = k, j = (i + 1) % 3, l = (j + 1) % 3;
    q[i] = 1 - tr + 2 * m[i][i];
    q[j] = m[j][i] + m[i][j];
    q[l] = m[l][i] + m[i][l];
    q[3] = m[l][j] - m[j][l];
  }
  const double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  for (auto& v : q) v /= n;
  return q;
}

void matrix_from_quat(const Quat& q, double m[3][3]) {
  const double x = q[0], y = q[1], z = q[2], w = q[3];
  m[0][0] = 1 - 2 * (y * y + z * z); m[0][1] = 2 * (x * y - z * w);     m[0][2] = 2 * (x * z + y * w);
  m[1][0] = 2 * (x * y + z * w);     m[1][1] = 1 - 2 * (x * x + z * z); m[1][2] = 2 * (y * z - x * w);
  m[2][0] = 2 * (x * z - y * w);     m[2][1] = 2 * (y * z + x * w);     m[2][2] = 1 - 2 * (x * x + y * y);
}

Quat slerp(const Quat& a, const Quat& b, double t) {
  double dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  Quat bb = b;
  if (dot < 0) {  // shortest path, as scipy's rotation-vector Slerp
    dot = -dot;
    for (auto& v : bb) v = -v;
  }
  Quat out;
  if (dot > 0.9999995) {
    for (int i = 0; i < 4; ++i) out[i] = a[i] + t * (bb[i] - a[i]);
  } else {
    const double theta = std::acos(dot), s = std::sin(theta);
    const double wa = std::sin((1 - t) * theta) / s, wb = std::sin(t * theta) / s;
    for (int i = 0; i < 4; ++i) out[i] = wa * a[i] + wb * bb[i];
  }
  const double n = std::sqrt(out[0] * out[0] + out[1] * out[1] + out[2] * out[2] + out[3] * out[3]);
  for (auto& v : out) v /= n;
  return out;
}

// SE3_inverse: [B, 4, 4] -> [B, 4, 4]
torch::Tensor se3_inverse(const torch::Tensor& T) {
  auto R = T.slice(1, 0, 3).slice(2, 0, 3);
  auto t = T.slice(1, 0, 3).slice(2, 3, 4);
  auto R_inv = R.transpose(-1, -2);
  auto inv = torch::eye(4, T.options()).unsqueeze(0).repeat({T.size(0), 1, 1});
  inv.slice(1, 0, 3).slice(2, 0, 3).copy_(R_inv);
  inv.slice(1, 0, 3).slice(2, 3, 4).copy_(-torch::bmm(R_inv, t));
  return inv;
}

}  // namespace

CameraTrajectory synthetic_trajectory(int64_t n, int64_t variant) {
  auto c2w = torch::zeros({n, 4, 4}, torch::kFloat);
  auto acc = c2w.accessor<float, 3>();
  for (int64_t i = 0; i < n; ++i) {
    const double s = n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 0.0;
    double yaw = 0.35 * s, pitch = 0.05 * std::sin(3.0 * s);
    if (variant != 0) yaw = -0.2 * static_cast<double>(variant) * s;
    const double cy = std::cos(yaw), sy = std::sin(yaw), cp = std::cos(pitch), sp = std::sin(pitch);
    // R = Ry(yaw) * Rx(pitch)
    const double R[3][3] = {{cy, sy * sp, sy * cp}, {0, cp, -sp}, {-sy, cy * sp, cy * cp}};
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) acc[i][r][c] = static_cast<float>(R[r][c]);
    acc[i][0][3] = static_cast<float>(0.3 * std::sin(2.0 * s));
    acc[i][1][3] = static_cast<float>(0.02 * s);
    acc[i][2][3] = static_cast<float>(2.0 * s);
    acc[i][3][3] = 1.0f;
  }
  auto K = torch::tensor({480.0f, 480.0f, 416.0f, 240.0f}).repeat({n, 1});
  return {c2w, K};
}

torch::Tensor interpolate_poses(const torch::Tensor& c2w_in, int64_t count) {
  auto c2w = c2w_in.to(torch::kDouble).contiguous();
  const int64_t n = c2w.size(0);
  auto a = c2w.accessor<double, 3>();
  std::vector<Quat> quats(n);
  for (int64_t i = 0; i < n; ++i) {
    double m[3][3];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) m[r][c] = a[i][r][c];
    quats[i] = quat_from_matrix(m);
    if (i > 0) {  // no sudden sign change in q
      const auto& p = quats[i - 1];
      if (p[0] * quats[i][0] + p[1] * quats[i][1] + p[2] * quats[i][2] + p[3] * quats[i][3] < 0)
        for (auto& v : quats[i]) v = -v;
    }
  }
  auto out = torch::zeros({count, 4, 4}, torch::kDouble);
  auto o = out.accessor<double, 3>();
  for (int64_t j = 0; j < count; ++j) {
    const double target = count > 1 ? static_cast<double>(j) * static_cast<double>(n - 1) / static_cast<double>(count - 1) : 0.0;
    const int64_t i0 = std::min<int64_t>(static_cast<int64_t>(std::floor(target)), std::max<int64_t>(n - 2, 0));
    const int64_t i1 = std::min<int64_t>(i0 + 1, n - 1);
    const double t = i1 == i0 ? 0.0 : target - static_cast<double>(i0);
    double m[3][3];
    matrix_from_quat(slerp(quats[i0], quats[i1], t), m);
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) o[j][r][c] = m[r][c];
      o[j][r][3] = a[i0][r][3] + t * (a[i1][r][3] - a[i0][r][3]);
    }
    o[j][3][3] = 1.0;
  }
  return out.to(torch::kFloat);
}

torch::Tensor relative_poses_framewise(const torch::Tensor& c2w) {
  auto rel = torch::matmul(se3_inverse(c2w.slice(0, 0, 1)), c2w);
  rel[0].copy_(torch::eye(4, c2w.options()));
  if (c2w.size(0) > 1) {
    // pose between frame i and i+1
    auto framewise = torch::bmm(se3_inverse(rel.slice(0, 0, -1)), rel.slice(0, 1));
    rel.slice(0, 1).copy_(framewise);
  }
  auto trans = rel.slice(1, 0, 3).select(2, 3);  // [F, 3]
  const float max_norm = trans.norm(2, -1).max().item<float>();
  if (max_norm > 0) trans.div_(max_norm);  // only when moving
  return rel;
}

torch::Tensor plucker_rays(const torch::Tensor& c2w, const torch::Tensor& K, int64_t height, int64_t width) {
  const int64_t f = c2w.size(0);
  auto opts = c2w.options();
  auto ys = torch::arange(height, opts), xs = torch::arange(width, opts);
  auto grid = torch::meshgrid({ys, xs}, "ij");
  auto i = (grid[1].reshape({1, -1}) + 0.5).expand({f, -1});  // [F, H*W] x pixel centres
  auto j = (grid[0].reshape({1, -1}) + 0.5).expand({f, -1});
  auto k = K.unsqueeze(-1);  // [F, 4, 1]
  auto dx = (i - k.select(1, 2)) / k.select(1, 0);
  auto dy = (j - k.select(1, 3)) / k.select(1, 1);
  auto dirs = torch::stack({dx, dy, torch::ones_like(dx)}, -1);  // [F, H*W, 3]
  dirs = dirs / dirs.norm(2, -1, true);
  auto rays_d = torch::matmul(dirs, c2w.slice(1, 0, 3).slice(2, 0, 3).transpose(-1, -2));
  auto rays_o = c2w.slice(1, 0, 3).select(2, 3).unsqueeze(1).expand_as(rays_d);
  return torch::cat({rays_o, rays_d}, -1).view({f, height, width, 6});
}

torch::Tensor camera_conditioning(const CameraTrajectory& traj, int64_t lat_f, int64_t lat_h, int64_t lat_w,
                                  int64_t height, int64_t width, torch::Device device, torch::Dtype dtype) {
  // intrinsics given at 480x832, rescaled to the video size (get_Ks_transformed without crop)
  auto K = traj.intrinsics[0].clone();
  const double sx = static_cast<double>(width) / 832.0, sy = static_cast<double>(height) / 480.0;
  K[0] *= sx; K[1] *= sy; K[2] *= sx; K[3] *= sy;
  auto poses = relative_poses_framewise(interpolate_poses(traj.c2w, lat_f)).to(device);
  auto Ks = K.repeat({lat_f, 1}).to(device);
  auto rays = plucker_rays(poses, Ks, height, width);  // [F, H, W, 6]
  const int64_t c1 = height / lat_h, c2 = width / lat_w;
  // 'f (h c1) (w c2) c -> (f h w) (c c1 c2)' then '(f h w) c -> 1 c f h w'
  auto tokens = rays.view({lat_f, lat_h, c1, lat_w, c2, 6}).permute({0, 1, 3, 5, 2, 4}).reshape({lat_f, lat_h, lat_w, -1});
  return tokens.permute({3, 0, 1, 2}).unsqueeze(0).contiguous().to(dtype);
}

}  // namespace ablate
