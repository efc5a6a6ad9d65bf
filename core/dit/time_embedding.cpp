#include "core/dit/time_embedding.h"

namespace ablate::dit {

torch::Tensor sinusoidal_embedding_1d(int64_t dim, const torch::Tensor& position) {
  TORCH_CHECK(dim % 2 == 0, "sinusoidal_embedding_1d expects an even dim, got ", dim);
  const int64_t half = dim / 2;
  auto pos = position.to(torch::kDouble);
  auto freqs = torch::pow(10000.0, -torch::arange(half, pos.options()).div(half));
  auto sinusoid = torch::outer(pos, freqs);
  return torch::cat({torch::cos(sinusoid), torch::sin(sinusoid)}, 1);
}

}  // namespace ablate::dit
