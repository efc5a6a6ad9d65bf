// FeatureCache: slot cursor and state snapshot.
#include "core/vae/feature_cache.h"

namespace ablate::vae {

CacheSlot& FeatureCache::next_slot() {
  if (next_ == slots_.size()) slots_.emplace_back();
  return slots_[next_++];
}

void FeatureCache::seek(size_t slot) {
  TORCH_CHECK(slot <= slots_.size(), "FeatureCache::seek: expected a slot index <= ", slots_.size(),
              ", but got ", slot);
  next_ = slot;
}

std::vector<torch::Tensor> FeatureCache::tensors() const {
  std::vector<torch::Tensor> out;
  out.reserve(slots_.size());
  for (const auto& slot : slots_) {
    out.push_back(slot.state == CacheSlot::State::kTensor ? slot.frames : torch::Tensor());
  }
  return out;
}

}  // namespace ablate::vae
