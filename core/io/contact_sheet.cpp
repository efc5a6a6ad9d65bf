// Contact sheet: frame selection, tile downscale, grid placement, PNG with tEXt.
#include "core/io/contact_sheet.h"

#include <cmath>

#include "core/error.h"
#include "core/io/png_file.h"
#include "core/video_hash.h"

namespace ablate::io {
namespace {

// frames [n, H, W, 3] uint8 -> [n, H/d, W/d, 3] uint8, each d x d block averaged, half rounded up.
torch::Tensor box_downscale(const torch::Tensor& frames, int64_t d) {
  if (d == 1) return frames;
  const int64_t n = frames.size(0), th = frames.size(1) / d, tw = frames.size(2) / d;
  auto blocks = frames.slice(1, 0, th * d).slice(2, 0, tw * d).to(torch::kInt32).reshape({n, th, d, tw, d, 3});
  auto sum = blocks.sum({2, 4}, /*keepdim=*/false, torch::kInt32);  // [n, th, tw, 3]
  return (sum + (d * d) / 2).div(d * d, "floor").to(torch::kUInt8);
}

std::string join_indices(const std::vector<int64_t>& indices) {
  std::string out;
  for (size_t i = 0; i < indices.size(); ++i) out += (i ? ", " : "") + std::to_string(indices[i]);
  return out;
}

}  // namespace

std::vector<int64_t> contact_sheet_frames(int64_t frame_count, int64_t stride) {
  ABLATE_USAGE_CHECK(stride >= 1, "contact sheet stride must be >= 1, got ", stride);
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < frame_count; i += stride) indices.push_back(i);
  return indices;
}

torch::Tensor contact_sheet(const torch::Tensor& frames, const ContactSheetOptions& options) {
  TORCH_CHECK(frames.dim() == 4 && frames.size(3) == 3 && frames.scalar_type() == torch::kUInt8,
              "contact_sheet: expected [F, H, W, 3] uint8 frames, but got ", frames.sizes(), " ", frames.scalar_type());
  TORCH_CHECK(frames.size(0) >= 1, "contact_sheet: the video has no frames");
  ABLATE_USAGE_CHECK(options.downscale >= 1, "contact sheet downscale must be >= 1, got ", options.downscale);
  ABLATE_USAGE_CHECK(options.columns >= 0, "contact sheet columns must be >= 0 (0: automatic), got ", options.columns);
  ABLATE_USAGE_CHECK(options.border >= 0, "contact sheet border must be >= 0, got ", options.border);
  ABLATE_USAGE_CHECK(frames.size(1) >= options.downscale && frames.size(2) >= options.downscale,
                     "contact sheet downscale ", options.downscale, " is larger than the frame ", frames.size(1),
                     "x", frames.size(2));
  const auto indices = contact_sheet_frames(frames.size(0), options.stride);
  const int64_t n = static_cast<int64_t>(indices.size());
  auto picked = frames.to(torch::kCPU).index_select(0, torch::tensor(indices, torch::kLong));  // [n, H, W, 3]
  const auto tiles = box_downscale(picked, options.downscale);                                 // [n, th, tw, 3]
  const int64_t th = tiles.size(1), tw = tiles.size(2), b = options.border;
  const int64_t cols = options.columns > 0 ? std::min(options.columns, n)
                                           : static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int64_t rows = (n + cols - 1) / cols;
  auto sheet = torch::empty({rows * th + (rows + 1) * b, cols * tw + (cols + 1) * b, 3}, torch::kUInt8);
  for (int64_t c = 0; c < 3; ++c) sheet.select(2, c).fill_(static_cast<int64_t>(options.border_rgb[c]));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y = b + (i / cols) * (th + b), x = b + (i % cols) * (tw + b);
    sheet.slice(0, y, y + th).slice(1, x, x + tw).copy_(tiles[i]);
  }
  return sheet;
}

void save_contact_sheet_frames(const std::string& path, const torch::Tensor& frames,
                               const ContactSheetOptions& options) {
  const auto sheet = contact_sheet(frames, options);
  const auto indices = contact_sheet_frames(frames.size(0), options.stride);
  write_png(path, sheet,
            {{"Title", "ablate contact sheet"},
             {"Description", "frames " + join_indices(indices) + " of " + std::to_string(frames.size(0)) +
                                 " (stride " + std::to_string(options.stride) + "), row-major, " +
                                 std::to_string(frames.size(1)) + "x" + std::to_string(frames.size(2)) +
                                 " each, box-downscaled by " + std::to_string(options.downscale)},
             {"Software", "ablate"}});
}

void save_contact_sheet(const std::string& path, const torch::Tensor& video, const ContactSheetOptions& options) {
  save_contact_sheet_frames(path, video_to_uint8(video), options);  // [F, H, W, 3] uint8
}

}  // namespace ablate::io
