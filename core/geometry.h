// Video and token geometry of one generate(), computed exactly as the reference does
// (image2video_fast.py: area-based latent size with Python float floor division, 4n+1 frames,
// chunks of 3 latent frames, sequence padding to a multiple of the world size).
#pragma once
#include <cstdint>
#include <string>

namespace ablate {

struct GeometryRequest {
  std::string size;          // "H*W" max area with aspect H/W (the reference's --size); or
  int64_t image_height = 0;  // the input image's pixels: when > 0, the aspect ratio comes from the
  int64_t image_width = 0;   // image and only the max area from `size` (the reference's rule)
  int64_t height = 0;        // exact pixel height (multiple of 16) when > 0
  int64_t width = 0;         // exact pixel width (multiple of 16) when > 0
  int64_t frames = 81;       // pixel frames, 4n+1
  int64_t chunk_size = 3;    // latent frames per chunk
  int64_t world_size = 1;    // sequence-parallel ranks (pads tokens per chunk)
  int64_t local_attn_size = -1;  // sliding-window KV cache length in latent frames (-1: global)
  int64_t sink_size = 0;         // latent frames never evicted from a sliding window
  int64_t denoise_steps = 4;     // timesteps per chunk
};

struct VideoGeometry {
  int64_t height = 0, width = 0, frames = 0;  // pixels
  int64_t lat_f = 0, lat_h = 0, lat_w = 0;    // latent grid
  int64_t frame_seqlen = 0;                   // tokens per latent frame (lat_h * lat_w / 4)
  int64_t chunk_size = 0, num_chunks = 0;
  int64_t tokens_per_chunk = 0;               // chunk_size * frame_seqlen
  int64_t padded_tokens_per_chunk = 0;        // rounded up to a multiple of world_size
  int64_t world_size = 1;
  int64_t kv_size = 0;                        // KV cache tokens (global: all frames)
  int64_t local_attn_size = -1, sink_size = 0;
  int64_t denoise_steps = 0;
  int64_t forwards_per_generate = 0;          // chunks * (steps + 1 refresh)

  std::string describe() const;  // one line for the CLI
};

struct LatentGrid {
  int64_t lat_h = 0, lat_w = 0;
};

// The reference's latent grid for `max_area` pixels at aspect ratio aspect_h / aspect_w
// (image2video_fast.py:449-458): lat_h = round(np.sqrt(max_area * ar) // 8 // 2 * 2) and lat_w the
// same with max_area / ar, all in float64 with NumPy's floor division.
LatentGrid latent_grid(int64_t max_area, int64_t aspect_h, int64_t aspect_w);

// Validates the request (UsageError with the offending value and what is valid) and derives all numbers.
VideoGeometry compute_geometry(const GeometryRequest& request);

// Python's float floor division a // b (CPython float_floor_div), which the reference's shape
// derivation relies on (sqrt(480*832 * 480/832) = 479.99999999999994 // 8 = 59).
double python_floordiv(double a, double b);

}  // namespace ablate
