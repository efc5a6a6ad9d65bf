// StageHashes and first_divergence: see stage_hashes.h.
#include "experiments/cli/stage_hashes.h"

#include <algorithm>
#include <vector>

#include "core/video_hash.h"
#include "experiments/gate/baseline.h"

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
  if (ca.is_array() && cb.is_array() && !ca.empty()) {
    // the gate's chain scan, the whole chain as one "chunk": its step is the flat index
    const auto steps = static_cast<int64_t>(ca.size());
    if (const auto at = first_divergence(ca.get<std::vector<std::string>>(), cb.get<std::vector<std::string>>(), steps))
      return "denoising step " + std::to_string(at->second + 1) + " of " + std::to_string(steps);
  }
  return field(a, "md5") != field(b, "md5") ? "vae_decode" : "";
}

}  // namespace ablate
