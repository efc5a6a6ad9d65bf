// Model presets (tiny / 1.3b / 14b): the shapes of all three networks and the default video.
#pragma once
#include <string>
#include <vector>

#include "core/dit/dit_options.h"
#include "core/text/t5_options.h"
#include "core/vae/vae_options.h"

namespace ablate {

struct ModelConfig {
  std::string name;
  dit::DitOptions dit;
  text::T5EncoderOptions t5;
  vae::WanVaeOptions vae;
  std::string default_size;      // "H*W" max-area string, as the reference's --size
  int64_t default_frames = 81;
};

// The preset called `name`; UsageError naming the valid presets otherwise.
ModelConfig preset(const std::string& name);
std::vector<std::string> preset_names();

}  // namespace ablate
