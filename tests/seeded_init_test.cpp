// core/seeded_init.h: the host loop that seeds CPU parameters gives the integer tensor ops' bits
// (the path a GPU runs), wherever the element index lies, across the 32-bit boundary too.
#include <gtest/gtest.h>

#include <cmath>

#include "core/seeded_init.h"

namespace ablate {
namespace seeded_init_test {

TEST(SeededInitTest, HostLoopGivesTheTensorOpsBits) {
  struct Case {
    uint64_t key;
    int64_t offset, count;
    double std;
  };
  const std::vector<Case> cases = {{0, 0, 1, 0.02},
                                   {12345, 0, 100000, 0.02},
                                   {0xDEADBEEFCAFEF00DULL, 7, 65537 * 3, 1.0},
                                   {42, (int64_t{1} << 32) - 5000, 10000, 0.5},  // the high word changes mid-slice
                                   {~0ULL, int64_t{1} << 40, 4096, 1e-3}};
  for (const auto& c : cases) {
    const auto host = seeded_uniform(c.key, c.offset, c.count, c.std, torch::kCPU);
    const auto ops = seeded_uniform_tensor_ops(c.key, c.offset, c.count, c.std, torch::kCPU);
    ASSERT_EQ(host.scalar_type(), torch::kFloat);
    ASSERT_EQ(host.sizes(), ops.sizes());
    EXPECT_TRUE(torch::equal(host, ops)) << "key " << c.key << " offset " << c.offset << ": max |diff| "
                                         << (host - ops).abs().max().item<float>();
    const float a = static_cast<float>(c.std * std::sqrt(3.0));
    EXPECT_LE(host.abs().max().item<float>(), a);
  }
  // another key, another stream
  EXPECT_FALSE(torch::equal(seeded_uniform(1, 0, 64, 0.02, torch::kCPU), seeded_uniform(2, 0, 64, 0.02, torch::kCPU)));
}

}  // namespace seeded_init_test
}  // namespace ablate
