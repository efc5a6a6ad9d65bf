// vae_precision: bf16/fp16 VAE against the float32 one on the tiny pipeline (PSNR printed and held
// to the declared bound where the dtype runs here), and validate()'s reason where it does not.
#include <gtest/gtest.h>

#include <iostream>

#include "core/video_hash.h"
#include "experiments/gate/baseline.h"
#include "optimizations/vae_precision.h"

namespace ablate::opt {
namespace vae_precision_test {

torch::Tensor video_with(const std::string& value) {
  VaePrecisionStrategy s;
  PipelineOptions o;
  o.model = preset("tiny");
  s.configure(value, o);  // the mechanism directly: the registry marks the strategy CUDA-only (fp16)
  Pipeline p(o);
  GenerateRequest r;
  r.geometry.size = "64*64";
  r.geometry.frames = 9;
  return video_to_uint8(p.generate(r).video);
}

TEST(VaePrecisionTest, Bf16StaysWithinTheBoundOnTheCpu) {
  const auto d = video_distance(video_with("off"), video_with("bf16"));
  std::cout << "[ vae_precision ] bf16 vs fp32 on tiny 64x64x9 (CPU): PSNR " << d.psnr_db << " dB, max |diff| "
            << d.max_abs << " levels\n";
  EXPECT_GE(d.psnr_db, VaePrecisionStrategy().info().min_psnr_db);
  EXPECT_GT(d.max_abs, 0) << "bf16 should round differently from float32";
}

TEST(VaePrecisionTest, ValidateNamesWhatTheCpuLacks) {
  RunConfig cpu;
  EXPECT_EQ(VaePrecisionStrategy().validate("off", cpu), "");
  EXPECT_EQ(VaePrecisionStrategy().validate("bf16", cpu), "vae_precision runs only on CUDA devices (this run is on cpu)");
  EXPECT_EQ(VaePrecisionStrategy().validate("fp16", cpu),
            "vae_precision=fp16 does not run on cpu here: \"compute_columns3d\" not implemented for 'Half'");
  EXPECT_EQ(vae_dtype_support(torch::kBFloat16, torch::kCPU), "");
}

TEST(VaePrecisionTest, ConfigureSetsTheVaeDtypeOnly) {
  PipelineOptions o;
  VaePrecisionStrategy s;
  s.configure("bf16", o);
  EXPECT_EQ(o.vae_compute.dtype, torch::kBFloat16);
  EXPECT_EQ(o.precision.param, torch::kFloat);  // the DiT is untouched
  // the counter reports the engine it is installed in: the runner configures the engine's build
  // with one instance and installs another (a fresh one here)
  o.model = preset("tiny");
  Pipeline p(o);
  VaePrecisionStrategy installed;
  installed.install("bf16", p, InstallContext{});
  EXPECT_EQ(installed.counters()["vae_dtype"], "bf16");
  s.configure("off", o);
  EXPECT_EQ(o.vae_compute.dtype, torch::kFloat);
  EXPECT_EQ(vae_dtype_support(torch::kFloat, torch::kCPU), "");
}

}  // namespace vae_precision_test
}  // namespace ablate::opt
