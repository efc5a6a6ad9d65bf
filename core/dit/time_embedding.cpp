#include "core/dit/time_embedding.h"

#include "core/host_read.h"

namespace ablate::dit {

torch::Tensor sinusoidal_embedding_1d(int64_t dim, const torch::Tensor& position, FrequencyTable table) {
  TORCH_CHECK(dim % 2 == 0, "sinusoidal_embedding_1d expects an even dim, got ", dim);
  const int64_t half = dim / 2;
  auto pos = position.to(torch::kDouble);
  torch::Tensor steps;
  if (table == FrequencyTable::kHostCopy) {
    // int64 on the host, then .to(position): exact integers either way, so the bits do not change
    count_host_sync(HostReadSite::kTimeFrequencies, pos.is_cuda());
    steps = torch::arange(half, torch::kLong).to(pos.options());
  } else {
    steps = torch::arange(half, pos.options());
  }
  auto freqs = torch::pow(10000.0, -steps.div(half));
  auto sinusoid = torch::outer(pos, freqs);
  return torch::cat({torch::cos(sinusoid), torch::sin(sinusoid)}, 1);
}

}  // namespace ablate::dit
