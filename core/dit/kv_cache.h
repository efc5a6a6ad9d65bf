// Per-layer caches of the causal DiT: the self-attention KV cache (global, or a sliding window
// with sink frames) with its end indices kept on the device as in the reference, and the
// cross-attention K/V cache filled on the first forward of a generate().
#pragma once
#include <torch/torch.h>

#include <vector>

namespace ablate::dit {

struct SelfKvCache {
  torch::Tensor k, v;               // [B, kv_size, local_heads, head_dim], compute dtype
  torch::Tensor global_end_index;   // [1] int64 on the device: tokens ever written
  torch::Tensor local_end_index;    // [1] int64 on the device: end of valid tokens in k/v
};

struct CrossKvCache {
  torch::Tensor k, v;      // [B, text_len, heads, head_dim], compute dtype
  torch::Tensor is_init;   // [] int32 on the device: 0 until the first forward fills k/v
};

struct KvCaches {
  std::vector<SelfKvCache> self;
  std::vector<CrossKvCache> cross;
  int64_t bytes() const;
};

struct KvCacheShape {
  int64_t num_layers = 0, batch = 1, kv_size = 0, local_heads = 0, heads = 0, head_dim = 0, text_len = 512;
};

bool operator==(const KvCacheShape& a, const KvCacheShape& b);

// Zero-filled caches as the pipeline allocates them at the start of every generate().
KvCaches allocate_kv_caches(const KvCacheShape& shape, torch::Dtype dtype, torch::Device device);
// Puts allocated caches back into allocate_kv_caches' state, in place (the storage is kept).
void zero_kv_caches(KvCaches& caches);

}  // namespace ablate::dit
