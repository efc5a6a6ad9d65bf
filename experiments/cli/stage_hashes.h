// Where two runs of one request part. Every run keeps the MD5 of each input of the first DiT
// forward ("stage_md5": noise_initial, text_embedding, control, first_frame_latent); with the hash chain
// (x0 after each step) and the video's MD5 they name the first stage at which a run's video left
// another's: the noise, the text encoder, the camera input, the VAE encode, a denoising step, or the
// VAE decode.
// (An H200 once gave one cold run of 32 another video from step 1 on, with nothing else recorded.)
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/pipeline.h"

namespace ablate {

class StageHashes {
 public:
  // The hashed stages, in the order generate() makes them.
  static const std::vector<std::string>& stages();
  // An observer that keeps a device copy of each stage (a few MB; the copy is queued, never
  // waited for) and then calls `next` (e.g. the dump), which may be empty.
  TensorObserver observer(TensorObserver next = {});
  // {stage: MD5 of its bytes}, hashed on the host; a stage not seen is left out.
  nlohmann::json md5s() const;

 private:
  std::vector<std::pair<std::string, torch::Tensor>> kept_;
};

// The first stage at which run `b` differs from run `a` (run JSONs as `generate --json` writes
// them: md5, stage_md5, hash_chain), in pipeline order: "noise_initial", "text_embedding",
// "control", "first_frame_latent", "denoising step K of N" (1-based), or "vae_decode" (same latents, another
// video). "" when they agree.
std::string first_divergence(const nlohmann::json& a, const nlohmann::json& b);

}  // namespace ablate
