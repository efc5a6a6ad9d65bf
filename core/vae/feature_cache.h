// The causal feature cache of the Wan2.1 VAE (the reference's feat_cache list + feat_idx cursor),
// and the optional activation probe that encoder/decoder call after each stage.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ablate::vae {

// Frames of a causal conv's input kept for the next step (reference: CACHE_T = 2).
constexpr int64_t kCacheT = 2;

// One entry of the reference's feat_cache list.
struct CacheSlot {
  enum class State {
    kEmpty,   // None: never visited
    kRep,     // 'Rep': upsample3d saw the first latent frame and skipped its time_conv
    kTensor,  // frames holds cached input frames [B, C, t <= 2, H, W]
  };
  State state = State::kEmpty;
  torch::Tensor frames;
};

// Slots are visited in forward order; rewind() before each step (the reference resets feat_idx
// to [0] before every encoder/decoder call). Slots are created on first visit.
class FeatureCache {
 public:
  void rewind() { next_ = 0; }
  // The cursor: the index of the slot next_slot() returns next.
  size_t cursor() const { return next_; }
  // Moves the cursor to `slot` (<= size()): a stage that was not run still passes its slots.
  void seek(size_t slot);
  // The slot at the cursor; advances the cursor (reference: feat_cache[idx]; feat_idx[0] += 1).
  CacheSlot& next_slot();
  // Slot tensors in visit order; an undefined tensor for an empty or 'Rep' slot. Later steps
  // replace slot tensors rather than writing into them, so the returned tensors stay valid.
  std::vector<torch::Tensor> tensors() const;
  // The slots themselves (state and tensor; shallow: the same replacement rule keeps them valid).
  const std::vector<CacheSlot>& slots() const { return slots_; }
  // Replaces every slot (e.g. a replayed decoder step's cache, or a state saved from slots()).
  void set_slots(std::vector<CacheSlot> slots) { slots_ = std::move(slots); }
  size_t size() const { return slots_.size(); }

 private:
  std::vector<CacheSlot> slots_;
  size_t next_ = 0;
};

// Called with (stage name, activation) after each encoder/decoder stage, e.g.
// ("decoder.upsamples.3", x). Empty = off. For diagnostics and tests; it must not modify x.
using ActivationProbe = std::function<void(const std::string& stage, const torch::Tensor& x)>;

}  // namespace ablate::vae
