// export_checkpoint: the modules' weights in the reference's layout and dtypes.
#include <filesystem>

#include "core/dit/wan_model.h"
#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/checkpoint_file_util.h"
#include "core/io/safetensors_index.h"
#include "core/io/torch_archive.h"
#include "core/text/t5_encoder.h"
#include "core/vae/wan_vae.h"

namespace ablate::io {
namespace {

std::vector<NamedTensor> named(torch::nn::Module& module, torch::Dtype dtype) {
  std::vector<NamedTensor> out;
  for (const auto& item : module.named_parameters()) out.push_back({item.key(), item.value(), dtype});
  return out;
}

// The modules must hold the preset's full parameters (not released shards).
void check_full(const char* what, const std::vector<ExpectedTensor>& have, const std::vector<ExpectedTensor>& want,
                const ModelConfig& config) {
  ABLATE_USAGE_CHECK(have.size() == want.size(), "export-checkpoint: the ", what, " has ", have.size(),
                     " parameters, preset '", config.name, "' expects ", want.size());
  for (size_t i = 0; i < have.size(); ++i) {
    ABLATE_USAGE_CHECK(have[i].key == want[i].key && have[i].shape == want[i].shape, "export-checkpoint: the ", what,
                       " parameter '", have[i].key, "' has shape ", c10::IntArrayRef(have[i].shape), "; preset '",
                       config.name, "' expects '", want[i].key, "' ", c10::IntArrayRef(want[i].shape),
                       " (sharded parameters cannot be exported)");
  }
}

}  // namespace

void export_checkpoint(const std::string& dir, const CheckpointModules& modules, const ModelConfig& config,
                       const ExportOptions& options) {
  TORCH_CHECK(modules.dit && modules.t5 && modules.vae, "export_checkpoint: all three modules are needed");
  const CheckpointSpec want = checkpoint_spec(config), have = checkpoint_spec(modules);
  check_full("DiT", have.dit, want.dit, config);
  check_full("T5 encoder", have.t5, want.t5, config);
  check_full("VAE", have.vae, want.vae, config);
  namespace fs = std::filesystem;
  const std::string folder = dit_folder(dir);
  std::error_code ec;
  fs::create_directories(folder, ec);
  ABLATE_USAGE_CHECK(!ec, dir, ": cannot create ", folder, " (", ec.message(), ")");
  // a previous export's weights would shadow or mix with the new ones (the index wins over a single file)
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kDitWeightsBase, 0) == 0) fs::remove(entry.path());
  }
  torch::NoGradGuard no_grad;
  write_torch_archive(t5_path(dir), named(*modules.t5, torch::kBFloat16));
  write_torch_archive(vae_path(dir), named(*modules.vae, torch::kFloat));
  // the reference loads the DiT with torch_dtype=bf16
  write_sharded_safetensors(folder, kDitWeightsBase, named(*modules.dit, torch::kBFloat16), options.max_shard_bytes);
  const std::string config_text = dit_config_text(config, options.local_attn_size, options.sink_size);
  FileWriter out(dit_config_path(dir));
  out.write(config_text.data(), config_text.size());
  out.commit();
}

}  // namespace ablate::io
