// The reference's checkpoint layout (notes §5) and what a preset expects in it:
//   <dir>/lingbot_world_fast/config.json + diffusion_pytorch_model[.safetensors | -0000i-of-0000N
//        .safetensors + .safetensors.index.json]     the DiT (diffusers folder)
//   <dir>/models_t5_umt5-xxl-enc-bf16.pth              the T5 encoder's bare state dict (torch.save)
//   <dir>/Wan2.1_VAE.pth                               the VAE's bare state dict (torch.save)
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/config.h"

namespace ablate::dit {
class WanModelImpl;
}
namespace ablate::text {
class T5EncoderImpl;
}
namespace ablate::vae {
class WanVaeImpl;
}

namespace ablate::io {

constexpr char kDitFolder[] = "lingbot_world_fast";
constexpr char kDitConfigFile[] = "config.json";
constexpr char kDitWeightsBase[] = "diffusion_pytorch_model";
constexpr char kT5File[] = "models_t5_umt5-xxl-enc-bf16.pth";
constexpr char kVaeFile[] = "Wan2.1_VAE.pth";

std::string dit_folder(const std::string& dir);  // <dir>/lingbot_world_fast
std::string dit_config_path(const std::string& dir);
std::string t5_path(const std::string& dir);
std::string vae_path(const std::string& dir);

/// The three networks a checkpoint fills (non-owning).
struct CheckpointModules {
  dit::WanModelImpl* dit = nullptr;
  text::T5EncoderImpl* t5 = nullptr;
  vae::WanVaeImpl* vae = nullptr;
};

struct ExpectedTensor {
  std::string key;
  std::vector<int64_t> shape;
};

/// Keys and shapes per file group, in the modules' named_parameters() order.
struct CheckpointSpec {
  std::vector<ExpectedTensor> dit, t5, vae;
};

/// named_parameters() of a module as expected tensors.
std::vector<ExpectedTensor> expected_tensors(torch::nn::Module& module);
/// The spec of built modules.
CheckpointSpec checkpoint_spec(const CheckpointModules& modules);
/// The spec of a preset, from freshly built modules: the DiT's and T5's large weights on the meta
/// device (no memory), the VAE on the CPU (its parameters are zero-filled: ~0.5 GB at full size).
CheckpointSpec checkpoint_spec(const ModelConfig& config);

/// The DiT's config.json as the reference's WanModelFast reads it (notes §5a): model_type "i2v",
/// control_type "cam", text_len, in_dim, dim, ffn_dim, freq_dim, out_dim, num_heads, num_layers,
/// local_attn_size, sink_size, eps (and diffusers' "_class_name").
std::string dit_config_text(const ModelConfig& config, int64_t local_attn_size, int64_t sink_size);
/// Checks config.json against the preset: model_type "i2v", control_type "cam" when present, and
/// every shape field equal to the preset's. local_attn_size / sink_size are not checked (the
/// reference overrides them from its command line). UsageError naming the file, the field, the
/// expected and the found value.
void check_dit_config(const std::string& path, const ModelConfig& config);

}  // namespace ablate::io
