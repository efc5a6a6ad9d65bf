// cuda_graph's one-line capture failure (a forced failure: the message a capture that ran out of
// memory or failed otherwise reports; the capture itself needs a GPU).
#include <gtest/gtest.h>

#include "core/geometry.h"
#include "optimizations/cuda_graph.h"

namespace ablate::opt {
namespace cuda_graph_test {

constexpr int64_t kGiB = int64_t{1} << 30;

TEST(CudaGraphCaptureFailureTest, OutOfMemorySaysWhichGraphWhatWasAskedAndWhatWasFree) {
  ForwardSite site;
  site.chunk = 6;
  site.step = 4;
  site.refresh = true;
  const std::string error =
      "CUDA out of memory. Tried to allocate 2.50 GiB. GPU 0 has a total capacity of 139.81 GiB of which 1.25 GiB "
      "is free.\nException raised from malloc at c10/cuda/CUDACachingAllocator.cpp:1234 (most recent call first):\n"
      "frame #0: c10::Error::Error(...)";
  const auto m = capture_failure_message(site, error, kGiB + kGiB / 4, 140 * kGiB, "120.0 GiB allocated");
  EXPECT_EQ(m,
            "cuda_graph: capturing the graph of chunk 6's refresh forward failed: it asked for 2.50 GiB with 1.2 GiB "
            "free of 140.0 GiB (120.0 GiB allocated)");
  EXPECT_EQ(m.find('\n'), std::string::npos);
}

TEST(CudaGraphCaptureFailureTest, OtherErrorsKeepTheirFirstLineOnly) {
  ForwardSite site;
  site.chunk = 0;
  const auto m = capture_failure_message(site, "operation not permitted when stream is capturing\nframe #0: ...",
                                         10 * kGiB, 140 * kGiB, "3.0 GiB allocated");
  EXPECT_EQ(m,
            "cuda_graph: capturing the graph of chunk 0's denoise forward failed with 10.0 GiB free of 140.0 GiB "
            "(3.0 GiB allocated): operation not permitted when stream is capturing");
}

}  // namespace cuda_graph_test
}  // namespace ablate::opt
