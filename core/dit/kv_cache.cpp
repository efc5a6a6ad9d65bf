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

bool operator==(const KvCacheShape& a, const KvCacheShape& b) {
  return a.num_layers == b.num_layers && a.batch == b.batch && a.kv_size == b.kv_size &&
         a.local_heads == b.local_heads && a.heads == b.heads && a.head_dim == b.head_dim && a.text_len == b.text_len;
}

void zero_kv_caches(KvCaches& caches) {
  for (auto& c : caches.self)
    for (auto* t : {&c.k, &c.v, &c.global_end_index, &c.local_end_index}) t->zero_();
  for (auto& c : caches.cross)
    for (auto* t : {&c.k, &c.v, &c.is_init}) t->zero_();
}

}  // namespace ablate::dit
