// Sinusoidal timestep embedding (model.py sinusoidal_embedding_1d): float64, cos half first.
#pragma once
#include <torch/torch.h>

namespace ablate::dit {

// position: [N] (any numeric dtype) -> [N, dim] float64 = cat(cos(p * w), sin(p * w)),
// w_j = 10000^(-j / (dim/2)).
torch::Tensor sinusoidal_embedding_1d(int64_t dim, const torch::Tensor& position);

}  // namespace ablate::dit
