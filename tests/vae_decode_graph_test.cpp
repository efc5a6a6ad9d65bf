// vae_decode_graph on the CPU: it needs CUDA (validate says so), which steps it would capture, and
// the decode-step seam it uses: an executor that runs a step twice from a restored cache (what a
// capture does) leaves the decode bit-identical.
#include <gtest/gtest.h>

#include "optimizations/vae_decode_graph.h"
#include "tests/vae_test_util.h"

namespace ablate::opt {
namespace vae_decode_graph_test {

TEST(VaeDecodeGraphTest, NeedsCuda) {
  RunConfig cpu;
  EXPECT_EQ(VaeDecodeGraphStrategy().validate("on", cpu), "vae_decode_graph needs a CUDA device (CUDA graphs)");
  EXPECT_EQ(VaeDecodeGraphStrategy().validate("off", cpu), "");
  EXPECT_EQ(make_decode_graphs(torch::kCPU), nullptr);
}

TEST(VaeDecodeGraphTest, StepsFromFrameTwoHaveOneShapeAndReplayFromARestoredCache) {
  auto vae = vae_test::make_tiny_vae();
  const auto latent = vae_test::test_video(6, 8, 8).flatten(0, 1).slice(0, 0, 16).unsqueeze(1).repeat({1, 4, 1, 1});
  const auto whole = vae->decode(latent);  // [3, 13, 64, 64]
  std::vector<std::string> reasons, keys;
  vae::DecodeSession s(*vae);
  s.set_step_executor([&](const vae::DecodeStep& step) {
    reasons.push_back(decode_graph_eager_reason(step));
    if (!reasons.back().empty()) return step.run(step.input);
    keys.push_back(decode_graph_key(step));
    const auto before = step.cache.slots();
    (void)step.run(step.input.clone());  // a warm-up from the same state, thrown away
    step.cache.set_slots(before);
    return step.run(step.input);
  });
  const auto stepped = s.push(latent);
  EXPECT_TRUE(torch::equal(stepped, whole));
  EXPECT_EQ(reasons, (std::vector<std::string>{"latent frames 0 and 1 grow the caches",
                                               "latent frames 0 and 1 grow the caches", "", ""}));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0], keys[1]);  // one graph serves every frame from 2 on
}

}  // namespace vae_decode_graph_test
}  // namespace ablate::opt
