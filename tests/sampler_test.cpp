// The flow-matching tables and lookups against the reference's numbers.
#include "core/sampler.h"

#include <gtest/gtest.h>

#include "core/host_read.h"

namespace ablate {
namespace sampler_test {

TEST(SamplerTest, TimestepsAtTheDistilledIndices) {
  FlowMatchSampler s(torch::kCPU);
  EXPECT_EQ(s.timesteps(), (std::vector<int64_t>{999, 978, 947, 825}));
}

TEST(SamplerTest, FirstMatchSigmasForX0) {
  const auto t = flow_match_tables();
  ASSERT_EQ(t.sigmas.size(), 1001u);
  ASSERT_EQ(t.timesteps.size(), 1000u);
  const std::vector<std::pair<int64_t, double>> expected{{999, 0.99990}, {978, 0.97897}, {947, 0.94791}, {825, 0.82585}};
  for (auto [ts, sigma] : expected) EXPECT_NEAR(t.sigmas[first_match_index(t, ts)], sigma, 5e-6) << ts;
}

TEST(SamplerTest, SecondMatchSigmasForRenoise) {
  const auto t = flow_match_tables();
  const std::vector<std::pair<int64_t, double>> expected{{978, 0.97883}, {947, 0.94769}, {825, 0.82519}};
  for (auto [ts, sigma] : expected) EXPECT_NEAR(t.sigmas[second_match_index(t, ts)], sigma, 5e-6) << ts;
}

TEST(SamplerTest, DeviceLookupsCountOneReadEachAndAgreeWithHostTables) {
  FlowMatchSampler s(torch::kCPU);
  auto xt = torch::randn({16, 3, 4, 4}), v = torch::randn({16, 3, 4, 4});
  const auto before = host_read_stats();
  auto x0 = s.to_x0(v, xt, 978);
  auto renoised = s.add_noise(x0, v, 947);
  const auto d = host_read_stats() - before;
  EXPECT_EQ(d.of(HostReadSite::kSamplerSigma), 1);
  EXPECT_EQ(d.of(HostReadSite::kSamplerNoiseIndex), 1);
  const auto& t = s.tables();
  const double sigma = t.sigmas[first_match_index(t, 978)];
  const float noise_sigma = t.sigmas[second_match_index(t, 947)];
  EXPECT_TRUE(torch::equal(x0, s.to_x0(v, xt, 978, &sigma)));
  EXPECT_TRUE(torch::equal(renoised, s.add_noise(x0, v, 947, &noise_sigma)));
  EXPECT_EQ((host_read_stats() - before).total(), 2);  // host lookups read nothing
}

TEST(SamplerTest, X0IsComputedInFloat64) {
  FlowMatchSampler s(torch::kCPU);
  auto xt = torch::full({1}, 1.0f), v = torch::full({1}, 1.0f / 3.0f);
  const auto& t = s.tables();
  const double sigma = t.sigmas[first_match_index(t, 999)];
  auto x0 = s.to_x0(v, xt, 999, &sigma);
  const double expected = 1.0 - sigma * static_cast<double>(1.0f / 3.0f);
  EXPECT_EQ(x0.item<float>(), static_cast<float>(expected));
}

TEST(SamplerTest, NumpyLinspaceEndpoints) {
  const auto y = numpy_linspace(0.999, 0.0, 1001);
  EXPECT_EQ(y.front(), 0.999);
  EXPECT_EQ(y.back(), 0.0);
}

}  // namespace sampler_test
}  // namespace ablate
