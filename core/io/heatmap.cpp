// Difference heat map: per-pixel channel max of |a - b|, frame reduction, block max-pool, colours.
#include "core/io/heatmap.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/io/png_file.h"

namespace ablate::io {
namespace {

const char* reduce_name(FrameReduce reduce) {
  switch (reduce) {
    case FrameReduce::kMax: return "max";
    case FrameReduce::kMean: return "mean";
  }
  return "?";
}

std::string number(double v) {
  std::ostringstream out;
  out.precision(6);
  out << v;
  return out.str();
}

}  // namespace

torch::Tensor heat_colours(const torch::Tensor& difference, double scale) {
  TORCH_CHECK(difference.dim() == 2, "heat_colours: expected a [H, W] difference, but got ", difference.sizes());
  TORCH_CHECK(scale > 0, "heat_colours: expected scale > 0, but got ", scale);
  // double keeps 765 * D / scale exact enough that integer D at scale 255 lands on integers
  const auto p = (difference.to(torch::kCPU, torch::kDouble) * 765.0 / scale).round().clamp(0, 765);  // [H, W]
  const auto r = p.clamp_max(255);
  const auto g = (p - 255).clamp(0, 255);
  const auto b = (p - 510).clamp(0, 255);
  return torch::stack({r, g, b}, /*dim=*/2).to(torch::kUInt8);  // [H, W, 3]
}

HeatMap difference_heat_map(const torch::Tensor& a, const torch::Tensor& b, const HeatMapOptions& options) {
  TORCH_CHECK(a.dim() == 4 && a.size(3) == 3 && a.scalar_type() == torch::kUInt8 && b.scalar_type() == torch::kUInt8,
              "difference_heat_map: expected [F, H, W, 3] uint8 videos, but got ", a.sizes(), " ", a.scalar_type(),
              " and ", b.sizes(), " ", b.scalar_type());
  ABLATE_USAGE_CHECK(a.sizes() == b.sizes(), "cannot compare videos of different shapes: ", a.sizes(), " vs ",
                     b.sizes());
  ABLATE_USAGE_CHECK(options.stride >= 1, "heat map stride must be >= 1, got ", options.stride);
  ABLATE_USAGE_CHECK(options.downscale >= 1, "heat map downscale must be >= 1, got ", options.downscale);
  ABLATE_USAGE_CHECK(options.scale >= 0, "heat map scale must be >= 0 (0: automatic), got ", options.scale);
  ABLATE_USAGE_CHECK(a.size(0) >= 1 && a.size(1) >= options.downscale && a.size(2) >= options.downscale,
                     "heat map: video ", a.sizes(), " is empty or smaller than the downscale ", options.downscale);
  const auto pick = [&](const torch::Tensor& v) {
    return v.to(torch::kCPU).slice(0, 0, v.size(0), options.stride).to(torch::kInt16);  // [n, H, W, 3]
  };
  const auto per_frame = (pick(a) - pick(b)).abs().amax(/*dim=*/3).to(torch::kFloat);  // [n, H, W]
  auto d = options.reduce == FrameReduce::kMax ? per_frame.amax(0) : per_frame.mean(0);  // [H, W]
  const int64_t k = options.downscale;
  if (k > 1) {
    const int64_t h = d.size(0) / k, w = d.size(1) / k;
    d = d.slice(0, 0, h * k).slice(1, 0, w * k).reshape({h, k, w, k}).amax({1, 3});  // [h, w]
  }
  HeatMap map;
  map.difference = d.contiguous();
  map.max_difference = d.max().item<double>();
  map.scale = options.scale > 0 ? options.scale : std::max(1.0, map.max_difference);
  map.image = heat_colours(map.difference, map.scale);
  map.frames_compared = per_frame.size(0);
  map.stride = options.stride;
  map.reduce = options.reduce;
  return map;
}

void save_heat_map(const std::string& path, const HeatMap& map) {
  const int64_t frames_end = (map.frames_compared - 1) * map.stride + 1;
  const std::string description =
      std::string("per pixel: max over R, G, B of |a - b| in uint8 levels; ") + reduce_name(map.reduce) +
      " over " + std::to_string(map.frames_compared) + " frames (0, " + std::to_string(map.stride) +
      ", ...); colour: black = 0, red = scale/3, yellow = 2 scale/3, white >= scale; scale = " +
      number(map.scale) + " levels; largest difference = " + number(map.max_difference) + " levels";
  write_png(path, map.image,
            {{"Title", "ablate difference heat map"},
             {"Description", description},
             {"Software", "ablate"},
             {"ablate-scale", number(map.scale)},
             {"ablate-max-difference", number(map.max_difference)},
             {"ablate-frames", "0:" + std::to_string(frames_end) + ":" + std::to_string(map.stride)},
             {"ablate-reduce", reduce_name(map.reduce)}});
}

}  // namespace ablate::io
