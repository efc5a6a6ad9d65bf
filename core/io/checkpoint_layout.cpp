// Layout paths, the preset's expected keys and shapes, and the DiT's config.json.
#include "core/io/checkpoint_layout.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/dit/wan_model.h"
#include "core/error.h"
#include "core/text/t5_encoder.h"
#include "core/vae/wan_vae.h"

namespace ablate::io {

std::string dit_folder(const std::string& dir) { return dir + "/" + kDitFolder; }
std::string dit_config_path(const std::string& dir) { return dit_folder(dir) + "/" + kDitConfigFile; }
std::string t5_path(const std::string& dir) { return dir + "/" + kT5File; }
std::string vae_path(const std::string& dir) { return dir + "/" + kVaeFile; }

std::vector<ExpectedTensor> expected_tensors(torch::nn::Module& module) {
  std::vector<ExpectedTensor> out;
  for (const auto& item : module.named_parameters(/*recurse=*/true))
    out.push_back({item.key(), item.value().sizes().vec()});
  return out;
}

CheckpointSpec checkpoint_spec(const CheckpointModules& modules) {
  TORCH_CHECK(modules.dit && modules.t5 && modules.vae, "checkpoint_spec: all three modules are needed");
  return {expected_tensors(*modules.dit), expected_tensors(*modules.t5), expected_tensors(*modules.vae)};
}

CheckpointSpec checkpoint_spec(const ModelConfig& config) {
  torch::NoGradGuard no_grad;
  const auto meta = torch::TensorOptions().device(torch::kMeta).dtype(torch::kFloat);
  dit::WanModel dit(config.dit, /*local_attn_size=*/-1, /*sink_size=*/0, meta);
  text::T5Encoder t5(text::T5EncoderOptions(config.t5).tensor_options(meta));
  vae::WanVae vae(config.vae);
  return checkpoint_spec(CheckpointModules{dit.get(), t5.get(), vae.get()});
}

std::string dit_config_text(const ModelConfig& config, int64_t local_attn_size, int64_t sink_size) {
  const auto& d = config.dit;
  nlohmann::json j = {{"_class_name", "WanModelFast"}, {"model_type", "i2v"},
                      {"control_type", "cam"},         {"text_len", d.text_len()},
                      {"in_dim", d.in_dim()},          {"dim", d.dim()},
                      {"ffn_dim", d.ffn_dim()},        {"freq_dim", d.freq_dim()},
                      {"out_dim", d.out_dim()},        {"num_heads", d.num_heads()},
                      {"num_layers", d.num_layers()},  {"local_attn_size", local_attn_size},
                      {"sink_size", sink_size},        {"eps", d.eps()}};
  return j.dump(2) + "\n";
}

void check_dit_config(const std::string& path, const ModelConfig& config) {
  std::ifstream in(path);
  ABLATE_USAGE_CHECK(in.good(), path, ": cannot open the DiT config");
  nlohmann::json j;
  try {
    in >> j;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path + ": does not parse as JSON (" + e.what() + ")");
  }
  ABLATE_USAGE_CHECK(j.is_object(), path, ": expected a JSON object");
  auto text_field = [&](const char* field, const char* expected, bool required) {
    if (!j.contains(field)) {
      ABLATE_USAGE_CHECK(!required, path, ": field '", field, "' is missing; expected \"", expected, "\"");
      return;
    }
    ABLATE_USAGE_CHECK(j[field].is_string() && j[field].get<std::string>() == expected, path, ": field '", field,
                       "' is ", j[field].dump(), "; expected \"", expected, "\" (the fast pipeline's camera DiT)");
  };
  text_field("model_type", "i2v", true);
  text_field("control_type", "cam", false);
  const auto& d = config.dit;
  const std::pair<const char*, int64_t> ints[] = {
      {"text_len", d.text_len()},   {"in_dim", d.in_dim()},        {"dim", d.dim()},
      {"ffn_dim", d.ffn_dim()},     {"freq_dim", d.freq_dim()},    {"out_dim", d.out_dim()},
      {"num_heads", d.num_heads()}, {"num_layers", d.num_layers()}};
  for (const auto& [field, expected] : ints) {
    ABLATE_USAGE_CHECK(j.contains(field), path, ": field '", field, "' is missing; preset '", config.name, "' expects ",
                       expected);
    ABLATE_USAGE_CHECK(j[field].is_number_integer() && j[field].get<int64_t>() == expected, path, ": field '", field,
                       "' is ", j[field].dump(), "; preset '", config.name, "' expects ", expected);
  }
  if (j.contains("eps")) {
    ABLATE_USAGE_CHECK(j["eps"].is_number() && j["eps"].get<double>() == d.eps(), path, ": field 'eps' is ",
                       j["eps"].dump(), "; preset '", config.name, "' expects ", d.eps());
  }
}

}  // namespace ablate::io
