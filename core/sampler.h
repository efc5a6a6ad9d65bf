// The distilled 4-step flow-matching sampler of the fast pipeline: FlowUniPCMultistepScheduler's
// tables (shift 10 over 1000 train steps) used only for sigma lookups, x0 = x_t - sigma * v in
// float64, and re-noising x_t' = (1 - sigma') x0 + sigma' eps with the "second match" lookup.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace ablate {

// The scheduler tables after set_timesteps(1000, shift).
struct FlowMatchTables {
  std::vector<float> sigmas;        // 1001 entries (float32, last = 0)
  std::vector<int64_t> timesteps;   // 1000 entries (int64, truncated sigma * 1000)
};

FlowMatchTables flow_match_tables(int64_t num_train_timesteps = 1000, double shift = 10.0);

// numpy.linspace(start, stop, num) as NumPy computes it (i * step + start, last = stop).
std::vector<double> numpy_linspace(double start, double stop, int64_t num);

// Host-side lookups (what a caller may use instead of the device path).
int64_t first_match_index(const FlowMatchTables& tables, int64_t timestep);   // argmin |timesteps - t|
int64_t second_match_index(const FlowMatchTables& tables, int64_t timestep);  // index_for_timestep

class FlowMatchSampler {
 public:
  FlowMatchSampler(torch::Device device, std::vector<int64_t> timestep_indices = {0, 179, 358, 679},
                   double shift = 10.0);

  const FlowMatchTables& tables() const { return tables_; }
  const std::vector<int64_t>& timesteps() const { return timesteps_; }  // [999, 978, 947, 825]

  // x0 = x_t - sigma_t * v in float64, returned in v's dtype. sigma_t is looked up on the device
  // (argmin over the table) and its index read back through one counted host read, unless
  // `host_sigma` supplies it.
  torch::Tensor to_x0(const torch::Tensor& v, const torch::Tensor& xt, int64_t timestep,
                      const double* host_sigma = nullptr) const;

  // (1 - sigma') x0 + sigma' noise in x0's dtype, sigma' from index_for_timestep on the device
  // (nonzero + one counted host read), unless `host_sigma` supplies it.
  torch::Tensor add_noise(const torch::Tensor& x0, const torch::Tensor& noise, int64_t timestep,
                          const float* host_sigma = nullptr) const;

 private:
  torch::Device device_;
  FlowMatchTables tables_;
  std::vector<int64_t> timesteps_;
};

}  // namespace ablate
