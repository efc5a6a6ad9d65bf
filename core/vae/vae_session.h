// Step-wise VAE sessions over one feature cache: EncodeSession (first pixel frame, then groups of
// 4 -> one latent frame each) and DecodeSession (latent frames -> pixel frames, cache carried
// across pushes). WanVaeImpl::encode()/decode() are one push each, so the math is the same.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <vector>

#include "core/vae/decoder3d.h"
#include "core/vae/encoder3d.h"
#include "core/vae/feature_cache.h"

namespace ablate::vae {

class WanVaeImpl;

// A group of the encode, as the group-reuse policy sees it (see EncodeSession::set_group_reuse).
struct EncodeGroupSite {
  int64_t group = 0;             // latent frame index in the session (0: the first pixel frame alone)
  // Reuse is possible: this group and its predecessor lie in the declared repeating region (the
  // same input). When false the group is encoded whatever the policy answers.
  bool repeats_previous = false;
  bool previous_reused = false;  // the predecessor's output was itself reused
  const std::vector<CacheSlot>* cache = nullptr;  // the feature cache now (before this group)
  // the feature cache before the predecessor group (empty unless repeats_previous)
  const std::vector<CacheSlot>* previous_cache = nullptr;
};
// Asked before every group; true (honoured only when repeats_previous): reuse the predecessor's
// encoder output for this group and leave the cache as it is, instead of encoding. Exact only at
// a fixed point: encoding the same input from a cache equal to the predecessor's start state
// gives the predecessor's output and leaves the cache unchanged.
using EncodeGroupReuse = std::function<bool(const EncodeGroupSite&)>;

class EncodeSession {
 public:
  // The session keeps a reference: `vae` must outlive it. probe: see ActivationProbe.
  explicit EncodeSession(WanVaeImpl& vae, ActivationProbe probe = nullptr);

  /// frames: [3, n, H, W] float32 in [-1, 1], H and W multiples of 8; n = 1 + 4k on the first
  /// push (the first frame is encoded alone), n = 4k (k >= 1) afterwards. Each group of 4 goes
  /// through the encoder separately. Returns the normalized latent [z_dim, groups, H/8, W/8].
  torch::Tensor push(const torch::Tensor& frames);

  /// Declares the frames of each push from pixel index `repeating_from` on identical group after
  /// group (the image-to-video tail of zero frames), and asks `decide` before every group whether
  /// to reuse the predecessor's encoder output; honoured for a group that lies in that region and
  /// follows a group that lies there too (the same input). Empty `decide`: encode every group.
  void set_group_reuse(EncodeGroupReuse decide, int64_t repeating_from);

  /// Runs the encoder's stages through `execute` in every group it encodes (empty: eagerly).
  void set_stage_executor(EncoderStageExecutor execute) { execute_stage_ = std::move(execute); }

  /// Feature-cache tensors in slot order (undefined for empty slots); for bitwise comparison.
  std::vector<torch::Tensor> cache_state() const { return cache_.tensors(); }
  /// Latent frames produced so far.
  int64_t latent_frames() const { return latent_frames_; }

 private:
  WanVaeImpl& vae_;
  FeatureCache cache_;
  ActivationProbe probe_;
  int64_t latent_frames_ = 0;
  EncodeGroupReuse reuse_;
  int64_t repeating_from_ = -1;
  EncoderStageExecutor execute_stage_;
};

// One per-frame decoder step of a DecodeSession, as a step-execution policy sees it.
struct DecodeStep {
  int64_t frame = 0;                    // latent frame index in the session
  const torch::Tensor& input;           // [1, z_dim, 1, h, w] in the compute dtype
  FeatureCache& cache;                  // rewound; the step reads its slots and replaces them
  // The eager step on `input` (any tensor of the same shape) and `cache`: [1, 3, 1 or 4, 8h, 8w].
  std::function<torch::Tensor(const torch::Tensor& input)> run;
};
// Runs one decoder step: must return what step.run(step.input) returns and leave the cache as it
// does (e.g. by replaying a captured graph of it).
using DecodeStepExecutor = std::function<torch::Tensor(const DecodeStep& step)>;

class DecodeSession {
 public:
  // The session keeps a reference: `vae` must outlive it. probe: see ActivationProbe.
  // total_frames > 0: the pushes will bring exactly this many latent frames in all, and each push
  // runs the unnormalization and conv2 over a buffer of that length (the pushed frames in place,
  // the rest zero), so that conv2's kernel sees the one-shot decode's shape and strides: a 1x1x1
  // conv is per-frame math, but libraries pick kernels (and so roundings) by shape. Decoding in
  // several pushes is then bit-identical to one push of the whole latent.
  explicit DecodeSession(WanVaeImpl& vae, ActivationProbe probe = nullptr, int64_t total_frames = 0);

  /// latent: normalized [z_dim, t, h, w] float32, t >= 1. Unnormalizes, runs conv2 on these t
  /// frames, then the decoder one latent frame at a time. Returns [3, n, 8h, 8w] clamped to
  /// [-1, 1], n = 1 + 4(t - 1) on the first push and 4t afterwards.
  torch::Tensor push(const torch::Tensor& latent);

  /// Decode only the band `slab` of every frame from now on (RowSlab in decoder3d.h): pushes then
  /// return [3, n, 8 (end - begin), 8w], bit for bit those rows of the whole-frame decode. Set it
  /// before the first push (the feature cache holds the band's activations).
  void set_row_slab(const RowSlab& slab);

  /// Runs every per-frame decoder step through `execute` (empty: eagerly).
  void set_step_executor(DecodeStepExecutor execute) { execute_ = std::move(execute); }

  /// Feature-cache tensors in slot order (undefined for empty and 'Rep' slots).
  std::vector<torch::Tensor> cache_state() const { return cache_.tensors(); }
  /// Latent frames decoded so far.
  int64_t latent_frames() const { return latent_frames_; }

 private:
  WanVaeImpl& vae_;
  FeatureCache cache_;
  ActivationProbe probe_;
  int64_t latent_frames_ = 0;
  int64_t total_frames_ = 0;
  torch::Tensor window_;  // [1, z_dim, total_frames, h, w] normalized latent (total_frames > 0)
  bool has_slab_ = false;
  RowSlab slab_;
  DecodeStepExecutor execute_;
};

}  // namespace ablate::vae
