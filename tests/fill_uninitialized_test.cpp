// The bit-drift debugging switches (issue 16's E43): LibTorch's deterministic mode and its NaN fill of
// uninitialized tensors. Where LibTorch has them (>= 2.1) an empty tensor comes back NaN and the
// tiny video is the same with and without the fill (no kernel of the core reads memory it did not
// write), on the CPU and, where there is one, on the GPU; on LibTorch 1.13 the workload check names
// the flag and why it cannot run.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include <cmath>
#include <limits>

#include "core/compat.h"
#include "core/error.h"
#include "core/video_hash.h"
#include "experiments/runner/workload.h"
#include "core/precision.h"
#include "tiny_request_util.h"

namespace ablate {
namespace fill_uninitialized_test {

// Restores LibTorch's default mode when a test ends (also on a failed assertion).
struct DefaultModeAfter {
  ~DefaultModeAfter() {
    if (compat::fill_uninitialized_unavailable().empty()) compat::set_fill_uninitialized(false, false);
  }
};

std::string tiny_md5(torch::Device device) {
  PipelineOptions o;
  o.model = preset("tiny");
  o.device = device;
  if (device.is_cuda()) o.precision = Precision::for_name("bf16");  // the GPU runs' kernels (flash attention)
  Pipeline p(o);
  return tensor_md5(video_to_uint8(p.generate(test_util::two_chunk_request()).video));
}

TEST(FillUninitializedTest, EmptyTensorsComeBackNanOrTheCheckSaysWhyNot) {
  DefaultModeAfter restore;
  Workload w;
  w.fill_uninitialized = true;
  const std::string why = compat::fill_uninitialized_unavailable();
  if (!why.empty()) {
    EXPECT_NE(why.find("needs LibTorch >= 2.1"), std::string::npos) << why;
    try {
      check_workload(w, 1, flag_field_name());
      FAIL() << "expected a UsageError for --fill-uninitialized on LibTorch " << compat::torch_version();
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--fill-uninitialized: needs LibTorch >= 2.1"), std::string::npos) << e.what();
    }
    EXPECT_THROW(compat::set_fill_uninitialized(true, true), c10::Error);
    return;
  }
  EXPECT_NO_THROW(check_workload(w, 1, flag_field_name()));
  compat::set_fill_uninitialized(true, true);
  EXPECT_TRUE(torch::isnan(torch::empty({1000})).all().item<bool>());
  EXPECT_EQ(torch::empty({3}, torch::kLong).max().item<int64_t>(), std::numeric_limits<int64_t>::max());
  compat::set_fill_uninitialized(false, false);
  EXPECT_FALSE(at::globalContext().deterministicAlgorithms());
}

TEST(FillUninitializedTest, WorkloadJsonCarriesTheSwitchesOnlyWhenOn) {
  Workload w;
  EXPECT_FALSE(w.to_json().contains("fill_uninitialized"));
  EXPECT_FALSE(w.to_json().contains("deterministic_algorithms"));
  w.deterministic_algorithms = true;
  w.fill_uninitialized = true;
  EXPECT_EQ(w.to_json()["deterministic_algorithms"], true);
  EXPECT_EQ(w.to_json()["fill_uninitialized"], true);
}

void expect_same_video_with_and_without_fill(torch::Device device) {
  if (!compat::fill_uninitialized_unavailable().empty()) GTEST_SKIP() << compat::fill_uninitialized_unavailable();
  DefaultModeAfter restore;
  compat::set_fill_uninitialized(false, true);
  const std::string deterministic = tiny_md5(device);
  compat::set_fill_uninitialized(true, true);
  const std::string filled = tiny_md5(device);
  EXPECT_EQ(filled, deterministic) << "a kernel on " << device << " reads memory that no kernel wrote";
}

TEST(FillUninitializedTest, TinyVideoIsTheSameWithTheFillOnTheCpu) {
  expect_same_video_with_and_without_fill(torch::kCPU);
}

TEST(FillUninitializedTest, TinyVideoIsTheSameWithTheFillOnCuda) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  expect_same_video_with_and_without_fill(torch::Device(torch::kCUDA, 0));
}

}  // namespace fill_uninitialized_test
}  // namespace ablate
