// vae_channels_last: the tier it declares is what the CPU gives (tier A: the same MD5), and the
// weights really are laid out channels-last.
#include <gtest/gtest.h>

#include "core/video_hash.h"
#include "optimizations/vae_channels_last.h"

namespace ablate::opt {
namespace vae_channels_last_test {

std::string md5_with(const std::string& value) {
  VaeChannelsLastStrategy s;
  PipelineOptions o;
  o.model = preset("tiny");
  s.configure(value, o);
  Pipeline p(o);
  GenerateRequest r;
  r.geometry.size = "64*64";
  r.geometry.frames = 9;
  const auto md5 = tensor_md5(video_to_uint8(p.generate(r).video));
  const torch::Tensor w = p.vae()->decoder()->named_parameters()["conv1.weight"];  // [C, 16, 3, 3, 3]
  EXPECT_EQ(w.is_contiguous(at::MemoryFormat::ChannelsLast3d) && !w.is_contiguous(), value == "on");
  return md5;
}

TEST(VaeChannelsLastTest, DeclaredTierMatchesTheCpu) {
  const bool same = md5_with("on") == md5_with("off");
  EXPECT_EQ(VaeChannelsLastStrategy().info().tier == Tier::kA, same)
      << "channels_last_3d on the CPU is " << (same ? "" : "not ") << "bit-identical: declare the tier that measures";
}

}  // namespace vae_channels_last_test
}  // namespace ablate::opt
