// Geometry as the reference computes it (computed, not run): 480*832 -> 58x104 latent.
#include "core/geometry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>

#include "core/error.h"

namespace ablate {
namespace geometry_test {

TEST(GeometryTest, Reference480x832Gives58x104) {
  GeometryRequest r;
  r.size = "480*832";
  r.frames = 81;
  const auto g = compute_geometry(r);
  EXPECT_EQ(g.lat_h, 58);
  EXPECT_EQ(g.lat_w, 104);
  EXPECT_EQ(g.height, 464);
  EXPECT_EQ(g.width, 832);
  EXPECT_EQ(g.lat_f, 21);
  EXPECT_EQ(g.frames, 81);
  EXPECT_EQ(g.frame_seqlen, 1508);
  EXPECT_EQ(g.num_chunks, 7);
  EXPECT_EQ(g.tokens_per_chunk, 4524);
  EXPECT_EQ(g.kv_size, 31668);
  EXPECT_EQ(g.forwards_per_generate, 35);
}

TEST(GeometryTest, SequenceParallelPadsToWorldSize) {
  GeometryRequest r;
  r.size = "480*832";
  r.world_size = 8;
  const auto g = compute_geometry(r);
  EXPECT_EQ(g.padded_tokens_per_chunk, 4528);  // 566 per rank, 4 pad tokens
}

TEST(GeometryTest, PythonFloorDivMatchesCPython) {
  EXPECT_EQ(python_floordiv(479.99999999999994, 8.0), 59.0);
  EXPECT_EQ(python_floordiv(832.0, 8.0), 104.0);
  EXPECT_EQ(python_floordiv(-7.0, 2.0), -4.0);
}

TEST(GeometryTest, BadInputNamesTheValue) {
  GeometryRequest r;
  r.frames = 80;
  try {
    compute_geometry(r);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("4n+1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("80"), std::string::npos) << e.what();
  }
  GeometryRequest odd;
  odd.height = 472;
  odd.width = 832;
  try {
    compute_geometry(odd);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("odd latent size 59"), std::string::npos) << e.what();
  }
  GeometryRequest window;
  window.size = "64*64";
  window.local_attn_size = 30;
  EXPECT_THROW(compute_geometry(window), UsageError);
}

// The image's geometry, computed independently: aspect h / w, then sqrt, two floor divisions and a
// doubling, with plain std::floor (the values here are far from the floor-division corner cases).
std::pair<int64_t, int64_t> independent_latent(int64_t max_area, int64_t h, int64_t w) {
  const double ar = static_cast<double>(h) / static_cast<double>(w);
  auto side = [](double v) { return static_cast<int64_t>(std::floor(std::floor(v / 8) / 2) * 2); };
  return {side(std::sqrt(max_area * ar)), side(std::sqrt(max_area / ar))};
}

TEST(GeometryTest, ImageWithTheSizesAspectKeepsTheSizesGeometry) {
  // the synthetic card has the --size's aspect ratio: an image of the same aspect (any scale)
  // gives the geometry of --size alone, so the default geometry and its MD5s stay
  for (auto [size, h, w] : {std::tuple<const char*, int64_t, int64_t>{"480*832", 480, 832},
                            {"480*832", 960, 1664},
                            {"720*1280", 720, 1280},
                            {"720*1280", 1080, 1920},
                            {"64*64", 640, 640},
                            {"832*480", 832, 480}}) {
    GeometryRequest plain;
    plain.size = size;
    GeometryRequest with_image = plain;
    with_image.image_height = h;
    with_image.image_width = w;
    const auto a = compute_geometry(plain), b = compute_geometry(with_image);
    EXPECT_EQ(a.lat_h, b.lat_h) << size << " " << h << "x" << w;
    EXPECT_EQ(a.lat_w, b.lat_w) << size << " " << h << "x" << w;
    EXPECT_EQ(a.kv_size, b.kv_size);
  }
  // a 16:9 image at --size 480*832 lands on the same 464x832 as the default
  GeometryRequest sixteen_nine;
  sixteen_nine.size = "480*832";
  sixteen_nine.image_height = 720;
  sixteen_nine.image_width = 1280;
  EXPECT_EQ(compute_geometry(sixteen_nine).height, 464);
  EXPECT_EQ(compute_geometry(sixteen_nine).width, 832);
}

TEST(GeometryTest, NonSixteenNineImagesFollowTheReferenceFormula) {
  // expected: NumPy 1.24, round(np.sqrt(A * (h / w)) // 8 // 2 * 2) and the same with A / (h / w)
  struct Case {
    const char* size;
    int64_t h, w, lat_h, lat_w;
  };
  for (const auto& c : {Case{"480*832", 768, 1024, 68, 90},     // 4:3
                        Case{"480*832", 600, 800, 68, 90},      // 4:3
                        Case{"480*832", 512, 512, 78, 78},      // 1:1
                        Case{"480*832", 1280, 720, 104, 58},    // portrait
                        Case{"480*832", 2894, 5145, 58, 104},   // examples/03 (reference-facts §1)
                        Case{"480*832", 3648, 5472, 64, 96},    // examples/04, 3:2
                        Case{"720*1280", 768, 1024, 102, 138}}) {
    GeometryRequest r;
    r.size = c.size;
    r.image_height = c.h;
    r.image_width = c.w;
    const auto g = compute_geometry(r);
    EXPECT_EQ(g.lat_h, c.lat_h) << c.h << "x" << c.w;
    EXPECT_EQ(g.lat_w, c.lat_w) << c.h << "x" << c.w;
    const std::string size = c.size;
    const int64_t area_h = std::stoll(size.substr(0, size.find('*'))), area_w = std::stoll(size.substr(size.find('*') + 1));
    const auto [ih, iw] = independent_latent(area_h * area_w, c.h, c.w);
    EXPECT_EQ(g.lat_h, ih) << c.h << "x" << c.w;
    EXPECT_EQ(g.lat_w, iw) << c.h << "x" << c.w;
    EXPECT_EQ(g.height, 8 * g.lat_h);
    EXPECT_EQ(g.frame_seqlen, g.lat_h * g.lat_w / 4);
    const auto grid = latent_grid(area_h * area_w, c.h, c.w);
    EXPECT_EQ(grid.lat_h, c.lat_h);
    EXPECT_EQ(grid.lat_w, c.lat_w);
  }
  // --height/--width stay exact: the image is stretched to them
  GeometryRequest exact;
  exact.height = 256;
  exact.width = 256;
  exact.image_height = 768;
  exact.image_width = 1024;
  EXPECT_EQ(compute_geometry(exact).lat_h, 32);
  EXPECT_EQ(compute_geometry(exact).lat_w, 32);
  // an extreme aspect ratio empties the grid
  GeometryRequest thin;
  thin.size = "64*64";
  thin.image_height = 1;
  thin.image_width = 4000;
  try {
    compute_geometry(thin);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("size 64*64 with an image of 1x4000 pixels gives an empty latent grid"),
              std::string::npos) << e.what();
  }
}

}  // namespace geometry_test
}  // namespace ablate
