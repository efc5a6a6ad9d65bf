// What every block of one DiT forward shares: the token grid, the reference's CPU metadata
// tensors, RoPE table, conditioning tensors and the forward's arguments.
#pragma once
#include <torch/torch.h>

#include <array>

#include "core/dit/forward_args.h"

namespace ablate::dist {
class Communicator;
}

namespace ablate::dit {

struct DitKernels;

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
  // Sequence parallel (Ulysses): x/e0/cam hold this rank's 1/world of the padded tokens.
  dist::Communicator* comm = nullptr;
  int64_t tokens = 0;         // real tokens of the chunk (f*h*w)
  int64_t padded_tokens = 0;  // tokens rounded up to a multiple of the world size
  const DitKernels* kernels = nullptr;  // kernel seams (null or empty members: the core's own)
  int64_t block = 0;                    // the index of the block running (set before each)
};

}  // namespace ablate::dit
