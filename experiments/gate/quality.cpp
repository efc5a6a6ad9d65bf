#include "experiments/gate/quality.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ablate {

double relative_l2(const torch::Tensor& reference, const torch::Tensor& candidate) {
  TORCH_CHECK(reference.sizes() == candidate.sizes(), "relative_l2: shapes differ: ", reference.sizes(), " vs ",
              candidate.sizes());
  auto r = reference.to(torch::kCPU, torch::kDouble);
  const double diff = (candidate.to(torch::kCPU, torch::kDouble) - r).norm().item<double>();
  const double norm = r.norm().item<double>();
  if (norm == 0) return diff == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return diff / norm;
}

std::vector<double> frame_psnr_db(const torch::Tensor& reference_u8, const torch::Tensor& candidate_u8) {
  TORCH_CHECK(reference_u8.dim() == 4 && reference_u8.sizes() == candidate_u8.sizes(),
              "frame_psnr_db: expected two [F, H, W, 3] videos of one shape, got ", reference_u8.sizes(), " and ",
              candidate_u8.sizes());
  std::vector<double> out;
  if (reference_u8.numel() == 0) return out;
  auto d = candidate_u8.to(torch::kDouble) - reference_u8.to(torch::kDouble);  // [F, H, W, 3]
  auto mse = d.pow(2).flatten(1).mean(1).contiguous();                         // [F]
  const double* m = mse.data_ptr<double>();
  for (int64_t f = 0; f < mse.size(0); ++f)
    out.push_back(m[f] == 0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(255.0 * 255.0 / m[f]));
  return out;
}

double min_frame_psnr_db(const torch::Tensor& reference_u8, const torch::Tensor& candidate_u8) {
  const auto p = frame_psnr_db(reference_u8, candidate_u8);
  return p.empty() ? std::numeric_limits<double>::infinity() : *std::min_element(p.begin(), p.end());
}

}  // namespace ablate
