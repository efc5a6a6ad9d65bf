// Contact sheet: every stride-th frame of a video (0, 8, 16, ... by default) tiled in a grid with a
// thin border, as one RGB image; save_contact_sheet writes it as PNG (core/io/png_file.h).
//
// Layout: tiles in row-major order, `columns` per row (default ceil(sqrt(tiles))); tile (r, c) has
// its top-left pixel at (border + r * (tile_h + border), border + c * (tile_w + border)); the
// border and the unused cells are border_rgb. With downscale d, a tile is the frame's
// floor(H/d) x floor(W/d) box average (each d x d block, (sum + d*d/2) / (d*d)); d = 1 copies it.
#pragma once
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ablate::io {

struct ContactSheetOptions {
  int64_t stride = 8;                            // frames 0, stride, 2 * stride, ...
  int64_t columns = 0;                           // tiles per row; 0: ceil(sqrt(tiles))
  int64_t border = 2;                            // pixels around and between tiles
  int64_t downscale = 1;                         // integer box-average factor per tile
  std::array<uint8_t, 3> border_rgb = {255, 255, 255};
};

/// frames [F, H, W, 3] uint8 -> sheet [rows * th + (rows + 1) * b, cols * tw + (cols + 1) * b, 3]
/// uint8 on the CPU. Bad options (stride, downscale or columns < 1 where given) throw UsageError.
torch::Tensor contact_sheet(const torch::Tensor& frames, const ContactSheetOptions& options = {});

/// The frame indices a sheet shows: 0, stride, ... < frame_count.
std::vector<int64_t> contact_sheet_frames(int64_t frame_count, int64_t stride);

/// Writes the contact sheet of `frames` [F, H, W, 3] uint8 as PNG, with tEXt chunks naming the
/// frames shown.
void save_contact_sheet_frames(const std::string& path, const torch::Tensor& frames,
                               const ContactSheetOptions& options = {});

/// The same for the generator's video [3, F, H, W] float in [-1, 1] (uint8 by the MD5 rule).
void save_contact_sheet(const std::string& path, const torch::Tensor& video, const ContactSheetOptions& options = {});

}  // namespace ablate::io
