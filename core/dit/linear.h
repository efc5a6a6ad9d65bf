// A Linear layer whose parameters are created uninitialized on a chosen device and dtype.
// torch::nn::Linear runs a CPU kaiming init in its constructor; at the 14b preset that is ~18
// billion values on one CPU thread that the seeded init overwrites anyway. Keys: weight, bias.
#pragma once
#include <torch/torch.h>

namespace ablate::dit {

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
  torch::Tensor forward(const torch::Tensor& x) { return torch::nn::functional::linear(x, weight, bias); }

  LinearOptions options;
  torch::Tensor weight, bias;
};
TORCH_MODULE(Linear);

}  // namespace ablate::dit
