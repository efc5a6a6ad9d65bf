// Sinusoidal timestep embedding (model.py sinusoidal_embedding_1d): float64, cos half first.
#pragma once
#include <torch/torch.h>

namespace ablate::dit {

// Where the frequency table's arange is made.
enum class FrequencyTable {
  kHostCopy,  // the reference's torch.arange(half).to(position): made on the host, copied (on CUDA a
              // blocking copy, counted as HostReadSite::kTimeFrequencies)
  kDevice,    // made where `position` is: no copy; the same values
};

// position: [N] (any numeric dtype) -> [N, dim] float64 = cat(cos(p * w), sin(p * w)),
// w_j = 10000^(-j / (dim/2)).
torch::Tensor sinusoidal_embedding_1d(int64_t dim, const torch::Tensor& position,
                                      FrequencyTable table = FrequencyTable::kDevice);

}  // namespace ablate::dit
