#include "core/camera.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "core/error.h"

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

// scipy 1.10's Rotation internals (scipy/spatial/transform/_rotation.pyx), written out operation by
// operation so that the doubles come out bit for bit: quaternions are (x, y, z, w), a product or an
// inverse is normalized again, as Rotation(..., normalize=True) does.
namespace scipy_rotation {

void normalize(Quat& q) {  // _normalize4
  const double norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  for (auto& v : q) v /= norm;
}

Quat inverse(Quat q) {  // Rotation.inv: w negated, then normalized
  q[3] = -q[3];
  normalize(q);
  return q;
}

Quat compose(const Quat& p, const Quat& q) {  // _compose_quat_single, then normalized
  const double c0 = p[1] * q[2] - p[2] * q[1];
  const double c1 = p[2] * q[0] - p[0] * q[2];
  const double c2 = p[0] * q[1] - p[1] * q[0];
  Quat r{p[3] * q[0] + q[3] * p[0] + c0, p[3] * q[1] + q[3] * p[1] + c1, p[3] * q[2] + q[3] * p[2] + c2,
         p[3] * q[3] - p[0] * q[0] - p[1] * q[1] - p[2] * q[2]};
  normalize(r);
  return r;
}

std::array<double, 3> as_rotvec(Quat q) {
  if (q[3] < 0)  // w > 0 so that 0 <= angle <= pi
    for (auto& v : q) v = -v;
  const double angle = 2 * std::atan2(std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]), q[3]);
  double scale;
  if (angle <= 1e-3) {  // small-angle series
    const double angle2 = angle * angle;
    scale = 2 + angle2 / 12 + 7 * angle2 * angle2 / 2880;
  } else {
    scale = angle / std::sin(angle / 2);
  }
  return {scale * q[0], scale * q[1], scale * q[2]};
}

Quat from_rotvec(const std::array<double, 3>& v) {  // not normalized afterwards
  const double angle = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  double scale;
  if (angle <= 1e-3) {
    const double angle2 = angle * angle;
    scale = 0.5 - angle2 / 48 + angle2 * angle2 / 3840;
  } else {
    scale = std::sin(angle / 2) / angle;
  }
  return {scale * v[0], scale * v[1], scale * v[2], std::cos(angle / 2)};
}

void as_matrix(const Quat& q, double m[3][3]) {
  const double x = q[0], y = q[1], z = q[2], w = q[3];
  const double x2 = x * x, y2 = y * y, z2 = z * z, w2 = w * w;
  const double xy = x * y, zw = z * w, xz = x * z, yw = y * w, yz = y * z, xw = x * w;
  m[0][0] = x2 - y2 - z2 + w2;  m[0][1] = 2 * (xy - zw);       m[0][2] = 2 * (xz + yw);
  m[1][0] = 2 * (xy + zw);      m[1][1] = -x2 + y2 - z2 + w2;  m[1][2] = 2 * (yz - xw);
  m[2][0] = 2 * (xz - yw);      m[2][1] = 2 * (yz + xw);       m[2][2] = -x2 - y2 + z2 + w2;
}

}  // namespace scipy_rotation

// np.linspace(0, last, count) for count >= 1: j * step, the last one exactly `last`.
std::vector<double> numpy_linspace(double last, int64_t count) {
  std::vector<double> out(count, 0.0);
  if (count > 1) {
    const double step = last / static_cast<double>(count - 1);
    for (int64_t j = 0; j < count; ++j) out[j] = static_cast<double>(j) * step + 0.0;
    out[count - 1] = last;
  }
  return out;
}

// [F, H, W, C] per-pixel values -> 'f (h c1) (w c2) c -> (f h w) (c c1 c2)' then '(f h w) c -> 1 c f h w'
torch::Tensor latent_layout(const torch::Tensor& per_pixel, int64_t lat_f, int64_t lat_h, int64_t lat_w) {
  const int64_t c1 = per_pixel.size(1) / lat_h, c2 = per_pixel.size(2) / lat_w, c = per_pixel.size(3);
  auto tokens = per_pixel.view({lat_f, lat_h, c1, lat_w, c2, c})
                    .permute({0, 1, 3, 5, 2, 4})
                    .reshape({lat_f, lat_h, lat_w, -1});
  return tokens.permute({3, 0, 1, 2}).unsqueeze(0).contiguous();
}

torch::Tensor interpolate(const CameraTrajectory& traj, int64_t count) {
  switch (traj.interpolation) {
    case PoseInterpolation::kQuaternionSlerp: return interpolate_poses(traj.c2w, count);
    case PoseInterpolation::kScipy: return interpolate_poses_scipy(traj.c2w, count);
  }
  TORCH_CHECK(false, "unknown PoseInterpolation");
}

// Normalized ray directions rotated into the (relative) camera frames: c2w [F, 4, 4], K [F, 4] -> [F, H*W, 3]
torch::Tensor ray_directions(const torch::Tensor& c2w, const torch::Tensor& K, int64_t height, int64_t width) {
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
  return torch::matmul(dirs, c2w.slice(1, 0, 3).slice(2, 0, 3).transpose(-1, -2));
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

torch::Tensor interpolate_poses_scipy(const torch::Tensor& c2w_in, int64_t count) {
  namespace sr = scipy_rotation;
  auto c2w = c2w_in.to(torch::kDouble).contiguous();  // np.asarray(..., dtype=float)
  const int64_t n = c2w.size(0);
  TORCH_CHECK(n >= 2 && count >= 1, "interpolate_poses_scipy: Slerp needs at least 2 poses, got ", n);
  auto a = c2w.accessor<double, 3>();
  // Rotation.from_matrix(R).as_quat(), signs made continuous, then Rotation.from_quat (normalizes)
  std::vector<Quat> quats(n);
  for (int64_t i = 0; i < n; ++i) {
    double m[3][3];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) m[r][c] = a[i][r][c];
    quats[i] = quat_from_matrix(m);
    if (i > 0) {
      const auto& p = quats[i - 1];
      if (p[0] * quats[i][0] + p[1] * quats[i][1] + p[2] * quats[i][2] + p[3] * quats[i][3] < 0)
        for (auto& v : quats[i]) v = -v;
    }
  }
  for (auto& q : quats) sr::normalize(q);
  // Slerp(times = 0..n-1): rotvecs[i] = (R_i.inv() * R_{i+1}).as_rotvec(), time deltas all 1.0
  std::vector<std::array<double, 3>> rotvecs(n - 1);
  for (int64_t i = 0; i + 1 < n; ++i) rotvecs[i] = sr::as_rotvec(sr::compose(sr::inverse(quats[i]), quats[i + 1]));

  const auto targets = numpy_linspace(static_cast<double>(n - 1), count);
  auto out = torch::zeros({count, 4, 4}, torch::kDouble);
  auto o = out.accessor<double, 3>();
  for (int64_t j = 0; j < count; ++j) {
    const double t = targets[j];
    // np.searchsorted(times, t) (side left) is ceil(t) on integer times
    const int64_t above = static_cast<int64_t>(std::ceil(t));
    // Slerp: ind = searchsorted - 1, except t == times[0]; alpha = (t - times[ind]) / 1.0
    const int64_t ind = t == 0.0 ? 0 : above - 1;
    const double alpha = (t - static_cast<double>(ind)) / 1.0;
    const auto& rv = rotvecs[ind];
    const Quat q = sr::compose(quats[ind], sr::from_rotvec({rv[0] * alpha, rv[1] * alpha, rv[2] * alpha}));
    double m[3][3];
    sr::as_matrix(q, m);
    // interp1d linear: hi = clip(searchsorted, 1, n-1), lo = hi-1, slope * (t - x_lo) + y_lo
    const int64_t hi = std::min<int64_t>(std::max<int64_t>(above, 1), n - 1), lo = hi - 1;
    const double dx = static_cast<double>(hi) - static_cast<double>(lo);
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) o[j][r][c] = m[r][c];
      const double slope = (a[hi][r][3] - a[lo][r][3]) / dx;
      o[j][r][3] = slope * (t - static_cast<double>(lo)) + a[lo][r][3];
    }
    o[j][3][3] = 1.0;
  }
  return out.to(torch::kFloat);
}

int64_t frames_for_poses(int64_t frames, int64_t num_poses) {
  ABLATE_USAGE_CHECK(num_poses >= 1, "the camera poses hold no pose (expected [N, 4, 4] with N >= 1)");
  const int64_t usable = ((num_poses - 1) / 4) * 4 + 1;
  return std::min(((frames - 1) / 4) * 4 + 1, usable);
}

torch::Tensor scaled_intrinsics(const torch::Tensor& intrinsics, int64_t height, int64_t width) {
  // crop offsets (resize - final) / 2 are 0 here
  auto K = intrinsics[0].to(torch::kFloat).clone();
  const double sx = static_cast<double>(width) / 832.0, sy = static_cast<double>(height) / 480.0;
  K[0] *= sx; K[1] *= sy; K[2] *= sx; K[3] *= sy;
  return K;
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
  auto rays_d = ray_directions(c2w, K, height, width);
  auto rays_o = c2w.slice(1, 0, 3).select(2, 3).unsqueeze(1).expand_as(rays_d);
  return torch::cat({rays_o, rays_d}, -1).view({f, height, width, 6});
}

torch::Tensor camera_conditioning(const CameraTrajectory& traj, int64_t lat_f, int64_t lat_h, int64_t lat_w,
                                  int64_t height, int64_t width, torch::Device device, torch::Dtype dtype) {
  auto K = scaled_intrinsics(traj.intrinsics, height, width);
  auto poses = relative_poses_framewise(interpolate(traj, lat_f)).to(device);
  auto Ks = K.repeat({lat_f, 1}).to(device);
  auto rays = plucker_rays(poses, Ks, height, width);  // [F, H, W, 6]
  return latent_layout(rays, lat_f, lat_h, lat_w).to(dtype);
}

torch::Tensor subsample_action(const torch::Tensor& action, int64_t frames, int64_t lat_f,
                               const std::string& source) {
  ABLATE_USAGE_CHECK(action.dim() == 2 && action.size(1) == 4, source, ": expected the actions as [N, 4] (W, A, S, "
                     "D), found ", action.sizes());
  ABLATE_USAGE_CHECK(action.size(0) >= frames, source, ": ", action.size(0), " action rows for a video of ", frames,
                     " frames; the reference takes rows 0, 4, ..., ", frames - 1, " (", lat_f,
                     " latent frames), so at least ", frames, " rows are needed");
  // action[:frames][::4] -> .float()
  auto rows = action.slice(0, 0, frames).slice(0, 0, frames, 4).to(torch::kFloat).contiguous();
  TORCH_CHECK(rows.size(0) == lat_f, "subsample_action: ", rows.size(0), " rows for ", lat_f, " latent frames");
  return rows;
}

torch::Tensor action_conditioning(const CameraTrajectory& traj, const torch::Tensor& action_rows, int64_t lat_f,
                                  int64_t lat_h, int64_t lat_w, int64_t height, int64_t width, torch::Device device,
                                  torch::Dtype dtype) {
  TORCH_CHECK(action_rows.dim() == 2 && action_rows.size(0) == lat_f && action_rows.size(1) == 4,
              "action_conditioning: expected [", lat_f, ", 4] action rows, got ", action_rows.sizes());
  auto K = scaled_intrinsics(traj.intrinsics, height, width);
  auto poses = relative_poses_framewise(interpolate(traj, lat_f)).to(device);
  auto Ks = K.repeat({lat_f, 1}).to(device);
  auto rays_d = ray_directions(poses, Ks, height, width).view({lat_f, height, width, 3});  // only_rays_d
  auto keys = action_rows.to(device).view({lat_f, 1, 1, 4}).expand({lat_f, height, width, 4});
  return torch::cat({latent_layout(rays_d, lat_f, lat_h, lat_w), latent_layout(keys.contiguous(), lat_f, lat_h, lat_w)},
                    1).to(dtype);
}

torch::Tensor synthetic_action(int64_t frames) {
  auto action = torch::zeros({frames, 4}, torch::kFloat);
  action.select(1, 0).fill_(1.0f);  // W held: forward, as the synthetic dolly moves
  return action;
}

}  // namespace ablate
