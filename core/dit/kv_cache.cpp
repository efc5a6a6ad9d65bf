#include "core/dit/kv_cache.h"

namespace ablate::dit {

int64_t KvCaches::bytes() const {
  int64_t total = 0;
  for (const auto& c : self) total += (c.k.numel() + c.v.numel()) * c.k.element_size();
  for (const auto& c : cross) total += (c.k.numel() + c.v.numel()) * c.k.element_size();
  return total;
}

KvCaches allocate_kv_caches(const KvCacheShape& s, torch::Dtype dtype, torch::Device device) {
  auto opts = torch::TensorOptions().dtype(dtype).device(device);
  auto idx = torch::TensorOptions().dtype(torch::kLong).device(device);
  KvCaches caches;
  for (int64_t i = 0; i < s.num_layers; ++i) {
    caches.self.push_back({torch::zeros({s.batch, s.kv_size, s.local_heads, s.head_dim}, opts),
                           torch::zeros({s.batch, s.kv_size, s.local_heads, s.head_dim}, opts),
                           torch::zeros({1}, idx), torch::zeros({1}, idx)});
    caches.cross.push_back({torch::zeros({s.batch, s.text_len, s.heads, s.head_dim}, opts),
                            torch::zeros({s.batch, s.text_len, s.heads, s.head_dim}, opts),
                            torch::zeros({}, torch::TensorOptions().dtype(torch::kInt).device(device))});
  }
  return caches;
}

}  // namespace ablate::dit
