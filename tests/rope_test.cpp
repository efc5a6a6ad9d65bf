// RoPE against values computed from the reference's formulas.
#include "core/dit/rope.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/dit/time_embedding.h"
#include "core/host_read.h"

namespace ablate::dit {
namespace rope_test {

TEST(RopeTest, SplitIs22_21_21AtHeadDim128) {
  auto table = rope_table(128);
  EXPECT_EQ(table.size(0), 1024);
  EXPECT_EQ(table.size(1), 64);
  EXPECT_EQ(table.scalar_type(), torch::kComplexDouble);
  // column 22 starts the h part: its frequency is that of rope_params(.., 42)[.., 0] = 1 rad/position
  auto angle = torch::angle(table[1][22]).item<double>();
  EXPECT_NEAR(angle, 1.0, 1e-12);
  // t part column 1: 1 / 10000^(2/44)
  EXPECT_NEAR(torch::angle(table[1][1]).item<double>(), 1.0 / std::pow(10000.0, 2.0 / 44.0), 1e-12);
}

TEST(RopeTest, RotatesByAbsoluteFramePosition) {
  const int64_t d = 12;  // split 2/2/2 complex pairs
  auto table = rope_table(d);
  auto x = torch::zeros({1, 1, 1, d}, torch::kFloat);
  x[0][0][0][0] = 1.0f;  // real part of the first (temporal) pair
  auto y = causal_rope_apply(x, {1, 1, 1}, table, /*start_frame=*/5);
  // temporal pair 0 has frequency 1: rotated by 5 rad
  EXPECT_NEAR(y[0][0][0][0].item<float>(), std::cos(5.0), 1e-6);
  EXPECT_NEAR(y[0][0][0][1].item<float>(), std::sin(5.0), 1e-6);
  // tokens past f*h*w (sequence-parallel padding) are left unchanged
  auto padded = torch::randn({1, 3, 1, d});
  auto out = causal_rope_apply(padded, {1, 1, 2}, table, 0);
  EXPECT_TRUE(torch::equal(out.select(1, 2), padded.select(1, 2)));
}

TEST(RopeTest, SinusoidIsCosThenSin) {
  auto e = sinusoidal_embedding_1d(8, torch::tensor({2.0}));
  EXPECT_EQ(e.scalar_type(), torch::kDouble);
  EXPECT_DOUBLE_EQ(e[0][0].item<double>(), std::cos(2.0));
  EXPECT_DOUBLE_EQ(e[0][4].item<double>(), std::sin(2.0));
  EXPECT_NEAR(e[0][1].item<double>(), std::cos(2.0 * std::pow(10000.0, -0.25)), 1e-15);
}

// The reference's table (torch.arange(half) on the host, copied) and the device-made one give the
// same bits; only the host copy is counted (on the CPU as a count, on CUDA as a sync).
TEST(RopeTest, FrequencyTableFromTheHostIsCountedAndBitIdentical) {
  const auto position = torch::arange(7, torch::kDouble) * 250.0;
  const auto before = host_read_stats();
  auto host = sinusoidal_embedding_1d(256, position, FrequencyTable::kHostCopy);
  const auto mid = host_read_stats();
  auto device = sinusoidal_embedding_1d(256, position, FrequencyTable::kDevice);
  EXPECT_EQ((mid - before).of(HostReadSite::kTimeFrequencies), 1);
  EXPECT_EQ((mid - before).device_reads, 0);  // a CPU tensor: no device to wait for
  EXPECT_EQ((host_read_stats() - mid).total(), 0);
  EXPECT_TRUE(torch::equal(host, device));
}

}  // namespace rope_test
}  // namespace ablate::dit
