#include "core/geometry.h"

#include <cmath>
#include <sstream>

#include "core/error.h"

namespace ablate {
namespace {

constexpr int64_t kVaeStrideT = 4, kVaeStrideHW = 8, kPatchHW = 2;

// Parses "H*W"; UsageError otherwise.
void parse_size(const std::string& size, int64_t& h, int64_t& w) {
  const auto star = size.find('*');
  bool ok = star != std::string::npos && star > 0 && star + 1 < size.size();
  if (ok) {
    try {
      size_t used_h = 0, used_w = 0;
      h = std::stoll(size.substr(0, star), &used_h);
      w = std::stoll(size.substr(star + 1), &used_w);
      ok = used_h == star && used_w == size.size() - star - 1 && h > 0 && w > 0;
    } catch (const std::exception&) {
      ok = false;
    }
  }
  ABLATE_USAGE_CHECK(ok, "size: expected HEIGHT*WIDTH with positive integers (e.g. 480*832), got '",
                     size, "'");
}

}  // namespace

double python_floordiv(double vx, double wx) {
  double mod = std::fmod(vx, wx);
  double div = (vx - mod) / wx;
  if (mod != 0.0 && ((wx < 0) != (mod < 0))) {
    mod += wx;
    div -= 1.0;
  }
  double floordiv;
  if (div != 0.0) {
    floordiv = std::floor(div);
    if (div - floordiv > 0.5) floordiv += 1.0;
  } else {
    floordiv = std::copysign(0.0, vx / wx);
  }
  return floordiv;
}

LatentGrid latent_grid(int64_t max_area, int64_t aspect_h, int64_t aspect_w) {
  // image2video_fast.py:449-458: aspect_ratio = h / w (Python float), then NumPy float64 ops
  const double area = static_cast<double>(max_area);
  const double ar = static_cast<double>(aspect_h) / static_cast<double>(aspect_w);
  const auto lat = [](double side) {
    double v = python_floordiv(python_floordiv(side, kVaeStrideHW), kPatchHW) * kPatchHW;
    return static_cast<int64_t>(std::nearbyint(v));
  };
  return {lat(std::sqrt(area * ar)), lat(std::sqrt(area / ar))};
}

VideoGeometry compute_geometry(const GeometryRequest& r) {
  VideoGeometry g;
  ABLATE_USAGE_CHECK(r.frames >= 1 && (r.frames - 1) % 4 == 0,
                     "frames: expected 4n+1 frames (e.g. 17, 81), got ", r.frames);
  ABLATE_USAGE_CHECK(r.chunk_size >= 1, "chunk size must be >= 1, got ", r.chunk_size);
  ABLATE_USAGE_CHECK(r.world_size >= 1, "world size must be >= 1, got ", r.world_size);
  ABLATE_USAGE_CHECK(r.denoise_steps >= 1, "denoise steps must be >= 1, got ", r.denoise_steps);

  if (r.height > 0 || r.width > 0) {
    ABLATE_USAGE_CHECK(r.height > 0 && r.width > 0, "height and width go together; got height ",
                       r.height, " and width ", r.width);
    for (auto [flag, v] : {std::pair<const char*, int64_t>{"height", r.height}, {"width", r.width}}) {
      ABLATE_USAGE_CHECK(v % kVaeStrideHW == 0, flag, " ", v,
                         " is not a multiple of the VAE stride 8; use a multiple of 16, e.g. ",
                         (v / 16) * 16 > 0 ? (v / 16) * 16 : 16);
      ABLATE_USAGE_CHECK((v / kVaeStrideHW) % kPatchHW == 0, flag, " ", v, " gives an odd latent size ",
                         v / kVaeStrideHW, "; the (1,2,2) patch needs an even latent: use a multiple of 16, e.g. ",
                         (v / 16) * 16 > 0 ? (v / 16) * 16 : 16, " or ", (v / 16 + 1) * 16);
    }
    g.lat_h = r.height / kVaeStrideHW;
    g.lat_w = r.width / kVaeStrideHW;
  } else {
    int64_t h = 0, w = 0;
    parse_size(r.size, h, w);
    // max_area from --size; the aspect ratio from the image when there is one, else from --size
    // (the synthetic test card has the --size's aspect ratio)
    const bool from_image = r.image_height > 0 || r.image_width > 0;
    ABLATE_USAGE_CHECK(!from_image || (r.image_height > 0 && r.image_width > 0),
                       "image size: expected positive height and width, got ", r.image_height, "x", r.image_width);
    const LatentGrid grid = from_image ? latent_grid(h * w, r.image_height, r.image_width) : latent_grid(h * w, h, w);
    g.lat_h = grid.lat_h;
    g.lat_w = grid.lat_w;
    ABLATE_USAGE_CHECK(g.lat_h > 0 && g.lat_w > 0, "size ", r.size,
                       from_image ? c10::str(" with an image of ", r.image_height, "x", r.image_width, " pixels") : "",
                       " gives an empty latent grid (", g.lat_h, "x", g.lat_w, "); use at least 16*16",
                       from_image ? " and an image whose aspect ratio is not that extreme" : "");
  }
  g.height = g.lat_h * kVaeStrideHW;
  g.width = g.lat_w * kVaeStrideHW;

  g.chunk_size = r.chunk_size;
  g.lat_f = (r.frames - 1) / kVaeStrideT + 1;
  g.lat_f -= g.lat_f % r.chunk_size;
  ABLATE_USAGE_CHECK(g.lat_f > 0, "frames ", r.frames, " gives fewer latent frames than one chunk of ",
                     r.chunk_size, "; use at least ", (r.chunk_size - 1) * 4 + 1, " frames");
  g.frames = (g.lat_f - 1) * kVaeStrideT + 1;
  g.num_chunks = g.lat_f / r.chunk_size;
  g.frame_seqlen = g.lat_h * g.lat_w / (kPatchHW * kPatchHW);
  g.tokens_per_chunk = r.chunk_size * g.frame_seqlen;
  g.world_size = r.world_size;
  g.padded_tokens_per_chunk = (g.tokens_per_chunk + r.world_size - 1) / r.world_size * r.world_size;

  g.local_attn_size = r.local_attn_size;
  g.sink_size = r.sink_size;
  if (r.local_attn_size == -1) {
    ABLATE_USAGE_CHECK(r.sink_size == 0, "sink_size ", r.sink_size,
                       " needs a sliding window (local_attn_size > 0); the global cache never evicts");
    g.kv_size = g.frame_seqlen * g.lat_f;
  } else {
    ABLATE_USAGE_CHECK(r.local_attn_size > 0, "local_attn_size: expected -1 (global) or a window in latent "
                       "frames > 0, got ", r.local_attn_size);
    ABLATE_USAGE_CHECK(r.local_attn_size <= g.lat_f, "local_attn_size ", r.local_attn_size,
                       " is larger than the whole cache of ", g.lat_f,
                       " latent frames; use -1 (global) or a window of ", r.chunk_size + r.sink_size,
                       "..", g.lat_f, " frames");
    ABLATE_USAGE_CHECK(r.sink_size >= 0 && r.sink_size + r.chunk_size <= r.local_attn_size,
                       "sink_size ", r.sink_size, " with local_attn_size ", r.local_attn_size,
                       " leaves no room for a chunk of ", r.chunk_size, " frames; valid sink sizes: 0..",
                       r.local_attn_size - r.chunk_size);
    g.kv_size = g.frame_seqlen * r.local_attn_size;
  }
  g.denoise_steps = r.denoise_steps;
  g.forwards_per_generate = g.num_chunks * (r.denoise_steps + 1);
  return g;
}

std::string VideoGeometry::describe() const {
  std::ostringstream os;
  os << "video " << frames << "x" << height << "x" << width << " -> latent " << lat_f << "x" << lat_h
     << "x" << lat_w << ", " << frame_seqlen << " tokens/frame, " << num_chunks << " chunks of "
     << chunk_size << " (" << tokens_per_chunk << " tokens";
  if (padded_tokens_per_chunk != tokens_per_chunk) os << ", padded " << padded_tokens_per_chunk;
  os << "), kv cache " << kv_size << " tokens"
     << (local_attn_size == -1 ? " (global)" : " (sliding window)") << ", " << forwards_per_generate
     << " DiT forwards";
  return os.str();
}

}  // namespace ablate
