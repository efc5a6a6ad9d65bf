#include "core/config.h"

#include "core/error.h"

#include <c10/util/StringUtil.h>

namespace ablate {
namespace {

// umt5-xxl encoder (wan/modules/t5.py umt5_xxl) at full size.
text::T5EncoderOptions umt5_xxl() { return text::T5EncoderOptions(); }

ModelConfig make_tiny() {
  ModelConfig c;
  c.name = "tiny";
  // Same structure, small dims: head_dim 16 keeps a 4/2/2 RoPE split; 4 heads divide by 2 ranks.
  c.dit.dim(64).ffn_dim(128).num_heads(4).num_layers(3).text_dim(32);
  c.t5.vocab_size(4096).dim(32).dim_attn(32).dim_ffn(64).num_heads(4).num_layers(2);
  c.vae.dim(8);
  c.default_size = "64*64";
  return c;
}

ModelConfig make_1_3b() {
  ModelConfig c;
  c.name = "1.3b";
  c.dit.dim(1536).ffn_dim(8960).num_heads(12).num_layers(30);
  c.t5 = umt5_xxl();
  c.default_size = "480*832";
  return c;
}

ModelConfig make_14b() {
  ModelConfig c;
  c.name = "14b";
  c.dit.dim(5120).ffn_dim(13824).num_heads(40).num_layers(40);
  c.t5 = umt5_xxl();
  c.default_size = "480*832";
  return c;
}

// The presets, in the order messages list them.
const std::vector<std::pair<std::string, ModelConfig (*)()>>& presets() {
  static const std::vector<std::pair<std::string, ModelConfig (*)()>> table{
      {"tiny", make_tiny}, {"1.3b", make_1_3b}, {"14b", make_14b}};
  return table;
}

}  // namespace

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& [name, make] : presets()) names.push_back(name);
  return names;
}

ModelConfig preset(const std::string& name) {
  for (const auto& [n, make] : presets())
    if (n == name) return make();
  throw UsageError("preset: unknown preset '" + name + "'; valid presets: " + c10::Join(", ", preset_names()));
}

}  // namespace ablate
