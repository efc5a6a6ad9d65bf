// GPU only: the clock sampler against the machine's real NVML (the CPU tests use a fake one):
// the driver's library loads, the CUDA device is found by its PCI bus id, and a window around
// busy GPU work holds clocks, power and a maximum clock.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <chrono>
#include <iostream>

#include "profiling/gpu_clocks.h"

namespace ablate {
namespace gpu_clocks_cuda_test {

TEST(GpuClocksCudaTest, SamplesTheDriversNvmlAroundGpuWork) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const torch::Device cuda(torch::kCUDA, 0);
  ASSERT_EQ(gpu_clocks_status(cuda), "nvml");
  GpuClockSampler* sampler = gpu_clock_sampler(cuda);
  ASSERT_NE(sampler, nullptr);
  EXPECT_GT(sampler->sm_mhz_rated(), 500);
  const auto a = torch::randn({4096, 4096}, torch::TensorOptions().device(cuda).dtype(torch::kBFloat16));
  sampler->begin();
  const auto t0 = std::chrono::steady_clock::now();
  torch::Tensor c = a;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(300)) {
    for (int i = 0; i < 20; ++i) c = torch::matmul(a, c).tanh();
    torch::cuda::synchronize();
  }
  const ClockWindow w = sampler->end();
  EXPECT_GE(w.samples, 4) << w.to_json().dump();  // 50 ms apart over >= 300 ms, and the two ends
  EXPECT_GT(w.sm_mhz_min, 0) << w.to_json().dump();
  EXPECT_LE(w.sm_mhz_max, w.sm_mhz_rated) << w.to_json().dump();
  EXPECT_GT(w.power_w_max, 50) << w.to_json().dump();  // a busy H100/H200 draws hundreds of W
  EXPECT_GT(w.temperature_c_max, 0) << w.to_json().dump();
  std::cout << "[ clocks ] " << w.to_json().dump() << "\n";
}

}  // namespace gpu_clocks_cuda_test
}  // namespace ablate
