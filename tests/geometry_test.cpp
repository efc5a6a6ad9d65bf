// Geometry as the reference computes it (computed, not run): 480*832 -> 58x104 latent.
#include "core/geometry.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace ablate {
namespace {

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

}  // namespace
}  // namespace ablate
