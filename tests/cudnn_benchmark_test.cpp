// cudnn_benchmark: needs CUDA (validate says so on the CPU); on, it sets the VAE seam only, and
// generate() leaves the process's cuDNN setting as it found it.
#include <gtest/gtest.h>

#include "optimizations/cudnn_benchmark.h"

namespace ablate::opt {
namespace cudnn_benchmark_test {

TEST(CudnnBenchmarkTest, NeedsCudaAndRestoresTheProcessSetting) {
  CudnnBenchmarkStrategy s;
  RunConfig cpu;
  EXPECT_EQ(s.validate("on", cpu), "cudnn_benchmark needs a CUDA device (cuDNN's autotuner)");
  EXPECT_EQ(s.validate("off", cpu), "");
  PipelineOptions o;
  o.model = preset("tiny");
  Pipeline p(o);
  s.install("on", p, InstallContext{});
  EXPECT_TRUE(p.seams().vae_cudnn_benchmark);
  const bool before = at::globalContext().benchmarkCuDNN();
  GenerateRequest r;
  r.geometry.size = "32*32";
  r.geometry.frames = 9;
  p.generate(r);
  EXPECT_EQ(at::globalContext().benchmarkCuDNN(), before);
}

}  // namespace cudnn_benchmark_test
}  // namespace ablate::opt
