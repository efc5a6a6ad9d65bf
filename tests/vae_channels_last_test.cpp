// vae_channels_last: the tier it declares is what the CPU gives (tier A: the same MD5), and the
// weights really are laid out channels-last.
#include <gtest/gtest.h>

#include <iostream>

#include "core/video_hash.h"
#include "experiments/gate/baseline.h"
#include "optimizations/vae_channels_last.h"

namespace ablate::opt {
namespace vae_channels_last_test {

torch::Tensor video_with(const std::string& value) {
  VaeChannelsLastStrategy s;
  PipelineOptions o;
  o.model = preset("tiny");
  s.configure(value, o);
  Pipeline p(o);
  GenerateRequest r;
  r.geometry.size = "64*64";
  r.geometry.frames = 9;
  const auto video = video_to_uint8(p.generate(r).video);
  const torch::Tensor w = p.vae()->decoder()->named_parameters()["conv1.weight"];  // [C, 16, 3, 3, 3]
  EXPECT_EQ(w.is_contiguous(at::MemoryFormat::ChannelsLast3d) && !w.is_contiguous(), value == "on");
  return video;
}

TEST(VaeChannelsLastTest, DeclaredTierMatchesTheCpu) {
  const auto off = video_with("off"), on = video_with("on");
  const bool same = torch::equal(off, on);
  const auto info = VaeChannelsLastStrategy().info();
  EXPECT_EQ(info.tier == Tier::kA, same)
      << "channels_last_3d on the CPU is " << (same ? "" : "not ") << "bit-identical: declare the tier that measures";
  const auto d = video_distance(off, on);
  std::cout << "[ vae_channels_last ] on vs off on tiny 64x64x9 (CPU): PSNR " << d.psnr_db << " dB, max |diff| "
            << d.max_abs << " levels\n";
  EXPECT_GE(d.psnr_db, info.min_psnr_db);
}

}  // namespace vae_channels_last_test
}  // namespace ablate::opt
