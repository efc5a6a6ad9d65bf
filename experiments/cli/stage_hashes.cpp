// StageHashes and first_divergence: see stage_hashes.h.
#include "experiments/cli/stage_hashes.h"

#include <algorithm>

#include "core/video_hash.h"

namespace ablate {

const std::vector<std::string>& StageHashes::stages() {
  static const std::vector<std::string> names{"noise_initial", "text_embedding", "control", "first_frame_latent"};
  return names;
}

TensorObserver StageHashes::observer(TensorObserver next) {
  return [this, next = std::move(next)](const std::string& name, const torch::Tensor& value) {
    const auto& names = stages();
    if (std::find(names.begin(), names.end(), name) != names.end()) kept_.emplace_back(name, value.clone());
    if (next) next(name, value);
  };
}

nlohmann::json StageHashes::md5s() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, tensor] : kept_) j[name] = tensor_md5(tensor);
  return j;
}

std::string first_divergence(const nlohmann::json& a, const nlohmann::json& b) {
  auto field = [](const nlohmann::json& run, const char* key) {
    return run.contains(key) ? run[key] : nlohmann::json();
  };
  const auto sa = field(a, "stage_md5"), sb = field(b, "stage_md5");
  for (const auto& stage : StageHashes::stages()) {
    const auto x = sa.is_object() && sa.contains(stage) ? sa[stage] : nlohmann::json();
    const auto y = sb.is_object() && sb.contains(stage) ? sb[stage] : nlohmann::json();
    if (!x.is_null() && !y.is_null() && x != y) return stage;
  }
  const auto ca = field(a, "hash_chain"), cb = field(b, "hash_chain");
  if (ca.is_array() && cb.is_array()) {
    const size_t n = std::min(ca.size(), cb.size());
    for (size_t i = 0; i < n; ++i)
      if (ca[i] != cb[i]) return "denoising step " + std::to_string(i + 1) + " of " + std::to_string(ca.size());
  }
  return field(a, "md5") != field(b, "md5") ? "vae_decode" : "";
}

}  // namespace ablate
