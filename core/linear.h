// Linear and Embedding layers whose parameters are created uninitialized on a chosen device and
// dtype. torch::nn::Linear / Embedding run a CPU init in their constructors; at the 14b preset
// (plus umt5-xxl) that is ~24 billion values on one CPU thread that the seeded init overwrites
// anyway. Keys: weight, bias (as torch::nn).
#pragma once
#include <torch/torch.h>

namespace ablate {

struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  /// Additive bias. Default: true
  TORCH_ARG(bool, bias) = true;
  /// Device and dtype of the (uninitialized) parameters. Default: CPU float32
  TORCH_ARG(torch::TensorOptions, tensor_options) = torch::TensorOptions();
};

class LinearImpl : public torch::nn::Module {
 public:
  explicit LinearImpl(const LinearOptions& options_) : options(options_) {
    auto t = options.tensor_options().requires_grad(false);
    weight = register_parameter("weight", torch::empty({options.out_features(), options.in_features()}, t), false);
    if (options.bias()) bias = register_parameter("bias", torch::empty({options.out_features()}, t), false);
  }
  // x: [..., in] -> [..., out]
  // at::linear, as F.linear (see linear_as in core/precision.h)
  torch::Tensor forward(const torch::Tensor& x) { return torch::linear(x, weight, bias); }

  LinearOptions options;
  torch::Tensor weight, bias;
};
TORCH_MODULE(Linear);

struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  TORCH_ARG(int64_t, num_embeddings);
  TORCH_ARG(int64_t, embedding_dim);
  /// Device and dtype of the (uninitialized) table. Default: CPU float32
  TORCH_ARG(torch::TensorOptions, tensor_options) = torch::TensorOptions();
};

class EmbeddingImpl : public torch::nn::Module {
 public:
  explicit EmbeddingImpl(const EmbeddingOptions& options_) : options(options_) {
    weight = register_parameter(
        "weight", torch::empty({options.num_embeddings(), options.embedding_dim()}, options.tensor_options()), false);
  }
  // ids: [...] int64 -> [..., embedding_dim]
  torch::Tensor forward(const torch::Tensor& ids) { return torch::embedding(weight, ids); }

  EmbeddingOptions options;
  torch::Tensor weight;
};
TORCH_MODULE(Embedding);

}  // namespace ablate
