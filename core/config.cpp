#include "core/config.h"

#include "core/error.h"

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

}  // namespace

std::vector<std::string> preset_names() { return {"tiny", "1.3b", "14b"}; }

ModelConfig preset(const std::string& name) {
  if (name == "tiny") return make_tiny();
  if (name == "1.3b") return make_1_3b();
  if (name == "14b") return make_14b();
  throw UsageError("--preset: unknown preset '" + name + "'; valid presets: tiny, 1.3b, 14b");
}

}  // namespace ablate
