// Difference heat map of two uint8 videos of one shape: where and how much a combination's video
// differs from the baseline's.
//
//   d_f(y, x) = max over R, G, B of |a - b| at frame f   (uint8 levels, 0..255)
//   D(y, x)   = max (or mean) of d_f over frames 0, stride, 2 * stride, ...
//   with downscale k: the max of D over each k x k block (one differing pixel stays visible)
// Colour map, with p = round(765 * D / scale) clamped to 0..765 (round half to even):
//   (min(p, 255), clamp(p - 255, 0, 255), clamp(p - 510, 0, 255))
//   black at 0 -> red at scale/3 -> yellow at 2*scale/3 -> white at scale and above.
// scale defaults to the largest D (at least 1), so any difference shows; the PNG's tEXt chunks
// state the scale and what was reduced.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace ablate::io {

enum class FrameReduce { kMax, kMean };

struct HeatMapOptions {
  int64_t stride = 1;                      // frames compared: 0, stride, 2 * stride, ...
  FrameReduce reduce = FrameReduce::kMax;  // over those frames
  double scale = 0;                        // D shown as white; 0: the largest D (at least 1)
  int64_t downscale = 1;                   // k: block max-pool factor
};

struct HeatMap {
  torch::Tensor difference;  // [H / k, W / k] float32: D, max-pooled
  torch::Tensor image;       // [H / k, W / k, 3] uint8: the colour map of difference
  double scale = 1;          // the D shown as white
  double max_difference = 0; // the largest D
  int64_t frames_compared = 0;
  int64_t stride = 1;
  FrameReduce reduce = FrameReduce::kMax;
};

/// a, b: [F, H, W, 3] uint8 of one shape (e.g. video_to_uint8 of two runs). A shape mismatch
/// throws UsageError (the two videos cannot be compared); bad options too.
HeatMap difference_heat_map(const torch::Tensor& a, const torch::Tensor& b, const HeatMapOptions& options = {});

/// The colour map above: difference [H, W] (any real dtype) -> [H, W, 3] uint8. scale > 0.
torch::Tensor heat_colours(const torch::Tensor& difference, double scale);

/// Writes map.image as PNG with tEXt chunks: "Description" in words, and "ablate-scale",
/// "ablate-max-difference", "ablate-frames" (e.g. "0:81:8"), "ablate-reduce" ("max"/"mean").
void save_heat_map(const std::string& path, const HeatMap& map);

}  // namespace ablate::io
