// Numeric precision of a run, mirroring the reference's autocast regions explicitly:
// GEMMs and convolutions of the DiT in `compute` (bf16 on GPU), the residual stream, modulation,
// norms, time embedding and head in float32, RoPE in float64.
#pragma once
#include <torch/torch.h>

#include <string>

namespace ablate {

struct Precision {
  torch::Dtype param = torch::kFloat;    // storage dtype of DiT / text-encoder weights
  torch::Dtype compute = torch::kFloat;  // dtype of the DiT's autocast region (GEMMs, attention, KV cache)
  torch::Dtype text = torch::kFloat;     // text encoder dtype (the reference runs it in pure bf16)

  static Precision for_name(const std::string& name);  // "fp32" | "bf16"; UsageError otherwise
  // The dtype a run uses: `requested`, or when that is empty bf16 on CUDA and fp32 on the CPU.
  static std::string resolve_name(const std::string& requested, torch::Device device);
  std::string name() const;
};

// y = x W^T + b with x, W and b cast to `dtype` (what autocast does to a Linear). Works for any
// Linear holder with `weight` and `bias`.
template <typename LinearHolder>
torch::Tensor linear_as(const torch::Tensor& x, const LinearHolder& layer, torch::Dtype dtype) {
  auto b = layer->bias.defined() ? layer->bias.to(dtype) : torch::Tensor();
  // at::linear, as the reference's F.linear: [B, L, in] goes to one addmm (on CUDA the GEMM with the
  // bias in its epilogue). The C++ frontend's torch::nn::functional::linear instead runs matmul and a
  // separate bias add for any input that is not 2-D: other bits in bf16, and ~36 ms more per 14b
  // forward on an H200 (reports/kernels-14b-h200).
  return torch::linear(x.to(dtype), layer->weight.to(dtype), b);
}

}  // namespace ablate
