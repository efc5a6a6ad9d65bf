#include "core/sampler.h"

#include <cmath>
#include <cstdlib>

#include "core/host_read.h"

namespace ablate {

std::vector<double> numpy_linspace(double start, double stop, int64_t num) {
  std::vector<double> y(num);
  const double step = (stop - start) / static_cast<double>(num - 1);
  for (int64_t i = 0; i < num; ++i) y[i] = static_cast<double>(i) * step + start;
  if (num > 1) y[num - 1] = stop;
  return y;
}

FlowMatchTables flow_match_tables(int64_t n, double shift) {
  // __init__(shift=1): alphas = linspace(1, 1/n, n)[::-1]; sigmas = float32(1 - alphas)
  const auto alphas = numpy_linspace(1.0, 1.0 / static_cast<double>(n), n);
  const double sigma_max = static_cast<float>(1.0 - alphas[n - 1]);  // sigmas[0] after reversal
  const double sigma_min = static_cast<float>(1.0 - alphas[0]);
  // set_timesteps(n, shift): linspace(sigma_max, sigma_min, n + 1)[:-1], shifted, in float64
  auto s = numpy_linspace(sigma_max, sigma_min, n + 1);
  s.pop_back();
  FlowMatchTables t;
  for (double sigma : s) {
    const double shifted = shift * sigma / (1.0 + (shift - 1.0) * sigma);
    t.sigmas.push_back(static_cast<float>(shifted));
    t.timesteps.push_back(static_cast<int64_t>(shifted * static_cast<double>(n)));  // truncation
  }
  t.sigmas.push_back(0.0f);
  return t;
}

int64_t first_match_index(const FlowMatchTables& tables, int64_t timestep) {
  int64_t best = 0;
  for (size_t i = 1; i < tables.timesteps.size(); ++i)
    if (std::llabs(tables.timesteps[i] - timestep) < std::llabs(tables.timesteps[best] - timestep))
      best = static_cast<int64_t>(i);
  return best;
}

int64_t second_match_index(const FlowMatchTables& tables, int64_t timestep) {
  std::vector<int64_t> matches;
  for (size_t i = 0; i < tables.timesteps.size(); ++i)
    if (tables.timesteps[i] == timestep) matches.push_back(static_cast<int64_t>(i));
  TORCH_CHECK(!matches.empty(), "sampler: timestep ", timestep, " is not in the schedule");
  return matches[matches.size() > 1 ? 1 : 0];
}

FlowMatchSampler::FlowMatchSampler(torch::Device device, std::vector<int64_t> timestep_indices, double shift)
    : device_(device), tables_(flow_match_tables(1000, shift)) {
  for (int64_t idx : timestep_indices) {
    TORCH_CHECK(idx >= 0 && idx < static_cast<int64_t>(tables_.timesteps.size()), "sampler: timestep index ",
                idx, " outside the table of ", tables_.timesteps.size());
    timesteps_.push_back(tables_.timesteps[idx]);
  }
}

torch::Tensor FlowMatchSampler::to_x0(const torch::Tensor& v, const torch::Tensor& xt, int64_t timestep,
                                      const double* host_sigma) const {
  double sigma = 0.0;
  if (host_sigma) {
    sigma = *host_sigma;
  } else {
    // _convert_flow_pred_to_x0: tables moved to the device as float64, argmin |timesteps - t|
    auto timesteps = torch::tensor(tables_.timesteps, torch::kLong).to(device_).to(torch::kDouble);
    auto id = torch::argmin((timesteps - static_cast<double>(timestep)).abs());
    sigma = tables_.sigmas[host_read_int(id, HostReadSite::kSamplerSigma)];  // float32 entry, as double
  }
  auto x0 = xt.to(torch::kDouble) - sigma * v.to(torch::kDouble);
  return x0.to(v.scalar_type());
}

torch::Tensor FlowMatchSampler::add_noise(const torch::Tensor& x0, const torch::Tensor& noise, int64_t timestep,
                                          const float* host_sigma) const {
  float sigma = 0.0f;
  if (host_sigma) {
    sigma = *host_sigma;
  } else {
    // index_for_timestep: (schedule == t).nonzero(), second match when there are duplicates
    auto schedule = torch::tensor(tables_.timesteps, torch::kLong).to(device_);
    auto indices = (schedule == timestep).nonzero();
    const int64_t pos = indices.size(0) > 1 ? 1 : 0;
    sigma = tables_.sigmas[host_read_int(indices[pos][0], HostReadSite::kSamplerNoiseIndex)];
  }
  // _sigma_to_alpha_sigma_t: alpha = 1 - sigma; both float32 scalars on x0's dtype
  auto s = torch::tensor(sigma, x0.options());
  return (1 - s) * x0 + s * noise;
}

}  // namespace ablate
