// Locked baselines (`ablate lock` / `ablate check`): per determinism fingerprint, the output MD5,
// the per-step hash chain, the uint8 video (for tier-B PSNR / max-abs) and the expected tier of
// every combination of the matrix.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "experiments/gate/gate.h"

namespace ablate {

constexpr const char* kBaselineSchema = "ablate.baseline/1";

struct BaselineEntry {
  nlohmann::json fingerprint;
  std::string key;                        // fingerprint_key(fingerprint)
  std::string md5;                        // uint8 video MD5
  std::vector<std::string> hash_chain;    // per denoising step
  int64_t steps_per_chunk = 4;
  std::string video_file;                 // raw uint8 [F, H, W, 3], relative to the baseline file
  std::vector<int64_t> video_shape;
  std::string video_sha256;
  std::map<std::string, std::string> tiers;  // combination id -> "A" | "B"
  // unique workloads: every request of the cycle (md5 / hash_chain are request 0's)
  std::vector<std::string> request_md5s;
  std::vector<std::vector<std::string>> request_chains;
  // optional: request 0's final latents, raw float32 (the tier-B relative L2); "" when not locked
  std::string latents_file;
  std::vector<int64_t> latents_shape;
  std::string latents_sha256;
  // The gate's reference for this entry (every request; the video and latents when given).
  GateReference reference(const std::string& source, const torch::Tensor& video_u8,
                          const torch::Tensor& latents = {}) const;
};

struct BaselineFile {
  std::string path;
  nlohmann::json matrix;                  // the MatrixSpec it was locked with
  std::vector<BaselineEntry> entries;
  const BaselineEntry* find(const std::string& key) const;
};

// UsageError (exit 2) for a missing file, another schema or a corrupted one, naming the field.
BaselineFile read_baseline(const std::string& path);
// Writes the file through a temporary and a rename, and the entry's video beside it (and its
// latents, when the entry names a latents_file).
void write_baseline(const BaselineFile& file, const BaselineEntry& updated, const torch::Tensor& video_u8,
                    const torch::Tensor& latents = {});
// The locked video (checked against its SHA-256; UsageError when it does not match).
torch::Tensor read_baseline_video(const BaselineFile& file, const BaselineEntry& entry);
// The locked latents (float32, checked the same way); an undefined tensor when none were locked.
torch::Tensor read_baseline_latents(const BaselineFile& file, const BaselineEntry& entry);

// Where two hash chains first differ: (chunk, step) of the first differing step, or nullopt.
std::optional<std::pair<int64_t, int64_t>> first_divergence(const std::vector<std::string>& expected,
                                                            const std::vector<std::string>& actual,
                                                            int64_t steps_per_chunk);

// PSNR (dB, peak 255; +inf when identical) and max |a - b| of two uint8 videos of one shape.
struct VideoDistance {
  double psnr_db = 0;
  int64_t max_abs = 0;
};
VideoDistance video_distance(const torch::Tensor& a_u8, const torch::Tensor& b_u8);

// Which fingerprint fields differ (for the "rebaseline required" message).
std::string fingerprint_difference(const nlohmann::json& expected, const nlohmann::json& actual);

}  // namespace ablate
