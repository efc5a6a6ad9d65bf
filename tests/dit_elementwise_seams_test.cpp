// The DiT block's elementwise seams (DitKernels::modulate, gated_residual, cam_modulate, rms_norm,
// rope) on
// the CPU, tiny preset, two chunks: filled with the same tensor ops the block runs itself, every
// seam is called where the block runs that chain (counts per block and forward) and the video keeps
// its MD5; a seam that declines (undefined result) falls back to the block's own ops. The CUDA
// kernels behind the fused_elementwise strategy are checked bit for bit on the GPU
// (fused_elementwise_cuda_test.cpp).
#include <gtest/gtest.h>

#include "core/dit/rope.h"
#include "core/pipeline.h"
#include "core/video_hash.h"
#include "optimizations/registry.h"
#include "tiny_request_util.h"

namespace ablate::dit {
namespace elementwise_seams_test {

struct Calls {
  int64_t modulate = 0, gated = 0, cam = 0, rms = 0, rope = 0;
};

GenerateRequest two_chunks() { return test_util::two_chunk_request(); }

torch::Tensor mod_chunk(const torch::Tensor& modulation, const torch::Tensor& e0, int64_t i) {
  return (modulation.to(torch::kFloat).unsqueeze(0) + e0).select(2, i);
}

// The seams filled with the block's own arithmetic (`decline`: every seam returns undefined).
void fill(DitKernels& k, Calls& calls, bool decline) {
  k.modulate = [&calls, decline](const torch::Tensor& normed, const torch::Tensor& modulation,
                                 const torch::Tensor& e0, int64_t shift, torch::Dtype out) -> torch::Tensor {
    ++calls.modulate;
    if (decline) return {};
    return (normed.to(torch::kFloat) * (1 + mod_chunk(modulation, e0, shift + 1)) + mod_chunk(modulation, e0, shift))
        .to(out);
  };
  k.gated_residual = [&calls, decline](const torch::Tensor& x, const torch::Tensor& y, const torch::Tensor& modulation,
                                       const torch::Tensor& e0, int64_t gate) -> torch::Tensor {
    ++calls.gated;
    if (decline) return {};
    return x + y * mod_chunk(modulation, e0, gate);
  };
  k.cam_modulate = [&calls, decline](const torch::Tensor& x, const torch::Tensor& scale,
                                     const torch::Tensor& shift) -> torch::Tensor {
    ++calls.cam;
    if (decline) return {};
    return (1.0 + scale) * x + shift;
  };
  k.rms_norm = [&calls, decline](const torch::Tensor& x, const torch::Tensor& weight, double eps) -> torch::Tensor {
    ++calls.rms;
    if (decline) return {};
    auto xf = x.to(torch::kFloat);
    return (xf * torch::rsqrt(xf.pow(2).mean(-1, true) + eps)).to(x.scalar_type()) * weight;
  };
  k.rope = [&calls, decline](const torch::Tensor& x, const std::array<int64_t, 3>& grid, const torch::Tensor& freqs,
                             int64_t start_frame) -> torch::Tensor {
    ++calls.rope;
    if (decline) return {};
    return causal_rope_apply(x, grid, freqs, start_frame);
  };
}

struct SeamRun {
  std::string md5;
  GenerateOutput out;
};

SeamRun run(Calls* calls, bool decline) {
  PipelineOptions o;
  o.model = preset("tiny");
  Pipeline p(o);
  if (calls) fill(p.seams().dit_kernels, *calls, decline);
  SeamRun r;
  r.out = p.generate(two_chunks());
  r.md5 = tensor_md5(video_to_uint8(r.out.video));
  return r;
}

TEST(DitElementwiseSeamsTest, EverySeamIsCalledPerBlockAndTheBlocksOwnOpsKeepTheMd5) {
  const SeamRun core = run(nullptr, false);
  Calls calls;
  const SeamRun seamed = run(&calls, false);
  ASSERT_EQ(core.out.dit_forwards, 10);  // 2 chunks x (4 steps + refresh)
  const int64_t block_calls = 10 * 3;    // forwards x tiny's 3 blocks
  EXPECT_EQ(calls.modulate, 2 * block_calls);  // attention and FFN inputs
  EXPECT_EQ(calls.gated, 2 * block_calls);     // attention and FFN residuals
  EXPECT_EQ(calls.cam, block_calls);
  EXPECT_EQ(calls.rope, 2 * block_calls);      // q and k
  // self-attention q and k and cross-attention q per block, and cross k once per block per generate()
  EXPECT_EQ(calls.rms, 3 * block_calls + 3);
  EXPECT_EQ(seamed.md5, core.md5);
  EXPECT_TRUE(torch::equal(seamed.out.latents, core.out.latents));
}

TEST(DitElementwiseSeamsTest, DecliningSeamsFallBackToTheBlocksOwnOps) {
  const SeamRun core = run(nullptr, false);
  Calls calls;
  const SeamRun declined = run(&calls, true);
  EXPECT_EQ(calls.modulate, 60);
  EXPECT_EQ(calls.rope, 60);
  EXPECT_EQ(declined.md5, core.md5);
}

TEST(DitElementwiseSeamsTest, FusedElementwiseRunsOnlyOnCuda) {
  opt::RunConfig config;
  config.device = torch::kCPU;
  auto s = opt::make_strategy("fused_elementwise");
  EXPECT_EQ(s->validate("off", config), "");
  EXPECT_EQ(s->validate("on", config), "fused_elementwise runs only on CUDA devices (this run is on cpu)");
  EXPECT_EQ(opt::strategy_info("fused_elementwise").tier, opt::Tier::kA);
}

}  // namespace elementwise_seams_test
}  // namespace ablate::dit
