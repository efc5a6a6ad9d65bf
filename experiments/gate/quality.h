// Quality measures of a tier-B output against the reference's, beside video PSNR and max |diff|:
// the relative L2 error of the final latents (independent of the VAE and of uint8 rounding) and
// each frame's PSNR (a video PSNR averages one ruined frame away; the worst frame does not).
#pragma once
#include <torch/torch.h>

#include <vector>

namespace ablate {

// |candidate - reference|_2 / |reference|_2 over every element (float64 sums); 0 when both are
// zero, +inf when only the reference is. Shapes must match.
double relative_l2(const torch::Tensor& reference, const torch::Tensor& candidate);

// PSNR (dB, peak 255; +inf for an identical frame) of each frame of two uint8 videos [F, H, W, 3].
std::vector<double> frame_psnr_db(const torch::Tensor& reference_u8, const torch::Tensor& candidate_u8);

// The smallest of frame_psnr_db (+inf for no frames).
double min_frame_psnr_db(const torch::Tensor& reference_u8, const torch::Tensor& candidate_u8);

}  // namespace ablate
