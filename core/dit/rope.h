// 3D rotary position embedding of the causal DiT: per head, d/2 complex pairs split (t, h, w) as
// [d/2 - 2(d/2/3), d/2/3, d/2/3] (22/21/21 at head_dim 128), computed in float64 complex, with
// the temporal index absolute (start_frame + local frame) so cached keys keep their positions.
#pragma once
#include <torch/torch.h>

#include <array>

namespace ablate::dit {

// rope_params (model.py): [max_seq_len, dim/2] complex128 of exp(i * pos / theta^(2j/dim)).
torch::Tensor rope_params(int64_t max_seq_len, int64_t dim, double theta = 10000.0);

// The model's table: cat(rope_params(1024, d - 4(d/6)), rope_params(1024, 2(d/6)) x2) -> [1024, d/2].
torch::Tensor rope_table(int64_t head_dim, int64_t max_positions = 1024);

// x: [B, L, heads, d] (L >= f*h*w; tokens past f*h*w pass through unchanged)
//   -> [B, L, heads, d] in float64 for the first f*h*w tokens, cast back to x's dtype.
torch::Tensor causal_rope_apply(const torch::Tensor& x, const std::array<int64_t, 3>& grid,
                                const torch::Tensor& freqs, int64_t start_frame);

}  // namespace ablate::dit
