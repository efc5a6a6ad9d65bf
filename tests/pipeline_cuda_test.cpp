// GPU only (built in CUDA builds): the tiny pipeline on CUDA in bf16 is deterministic, its host
// reads are real device reads, and the phase timer reads CUDA events.
#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "core/dit/time_embedding.h"
#include "core/host_read.h"
#include "core/pipeline.h"
#include "experiments/runner/sync_audit.h"
#include "core/video_hash.h"
#include "profiling/phase_timer.h"

namespace ablate {
namespace pipeline_cuda_test {

TEST(PipelineCudaTest, TinyBf16IsDeterministicAndCountsDeviceReads) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  at::globalContext().setBenchmarkCuDNN(false);
  at::globalContext().setDeterministicCuDNN(true);
  PipelineOptions o;
  o.model = preset("tiny");
  o.device = torch::Device(torch::kCUDA, 0);
  o.precision = Precision::for_name("bf16");
  Pipeline p(o);
  GenerateRequest r;
  PhaseTimer timer(o.device);
  auto a = p.generate(r, &timer);
  const auto timings = timer.finish();
  auto b = p.generate(r);
  EXPECT_EQ(tensor_md5(video_to_uint8(a.video)), tensor_md5(video_to_uint8(b.video)));
  EXPECT_EQ(a.dit_forwards, 35);
  EXPECT_EQ(a.host_reads.device_reads, a.host_reads.syncs());
  EXPECT_GT(a.host_reads.device_reads, 0);
  bool saw_decode = false;
  for (const auto& t : timings) {
    EXPECT_GE(t.device_ms, 0.0) << t.label();
    saw_decode = saw_decode || t.phase == Phase::kVaeDecode;
  }
  EXPECT_TRUE(saw_decode);
}

TEST(PipelineCudaTest, SeededWeightsMatchTheCpuBits) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  auto cpu = seeded_uniform(12345, 0, 1 << 20, 0.02, torch::kCPU);
  auto gpu = seeded_uniform(12345, 0, 1 << 20, 0.02, torch::Device(torch::kCUDA, 0));
  EXPECT_TRUE(torch::equal(cpu, gpu.cpu()));
}

// The reference's time-embedding table is a blocking host-to-device copy: CUDA's sync debugging sees
// one sync, the core counts one device read, and the device-made table has the same bits.
TEST(PipelineCudaTest, TimeFrequencyCopyIsOneSyncWithTheSameBits) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const auto position = torch::arange(7, torch::TensorOptions(torch::kDouble).device(torch::kCUDA)) * 250.0;
  torch::Tensor host, device;
  const auto before = host_read_stats();
  EXPECT_EQ(count_cuda_syncs([&] { host = dit::sinusoidal_embedding_1d(256, position, dit::FrequencyTable::kHostCopy); }), 1);
  EXPECT_EQ((host_read_stats() - before).device_reads, 1);
  EXPECT_EQ(count_cuda_syncs([&] { device = dit::sinusoidal_embedding_1d(256, position, dit::FrequencyTable::kDevice); }), 0);
  EXPECT_TRUE(torch::equal(host, device));
}

}  // namespace pipeline_cuda_test
}  // namespace ablate
