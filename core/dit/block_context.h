// What every block of one DiT forward shares: the token grid, the reference's CPU metadata
// tensors, RoPE table, conditioning tensors and the forward's arguments.
#pragma once
#include <torch/torch.h>

#include <array>

#include "core/dit/forward_args.h"

namespace ablate::dit {

struct BlockContext {
  std::array<int64_t, 3> grid{};  // (f, h, w) tokens of this chunk
  torch::Tensor grid_sizes;       // [1, 3] int64 on the CPU, as the reference builds it
  torch::Tensor seq_lens;         // [1] int64 on the CPU
  torch::Tensor freqs;            // RoPE table [1024, head_dim/2] complex128 on the device
  torch::Tensor e0;               // [B, L, 6, dim] float32 time modulation
  torch::Tensor context;          // [B, text_len, dim] embedded text, compute dtype
  torch::Tensor cam;              // [B, L, dim] embedded camera tokens, compute dtype
  torch::Dtype compute = torch::kFloat;
  const ForwardArgs* args = nullptr;
};

}  // namespace ablate::dit
