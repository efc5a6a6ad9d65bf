// Seeded, deterministic weights: each parameter's values are a pure function of (seed, its full
// key name, element index), computed with an integer hash, so they do not depend on the order
// modules are built in, on sharding, or on the device (CPU and CUDA give the same bits).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace ablate {

// How one parameter is filled.
struct InitSpec {
  enum class Kind { kUniform, kConstant };
  Kind kind = Kind::kUniform;
  double std = 0.02;    // kUniform: zero-mean uniform with this standard deviation
  double value = 0.0;   // kConstant
  static InitSpec uniform(double std) { return {Kind::kUniform, std, 0.0}; }
  static InitSpec constant(double v) { return {Kind::kConstant, 0.0, v}; }
};

// Chooses the InitSpec for a parameter from its full key name and shape.
using InitRule = std::function<InitSpec(const std::string& name, const torch::Tensor& param)>;

// 64-bit FNV-1a of a string, mixed with the seed: the per-parameter stream key.
uint64_t parameter_stream_key(uint64_t seed, const std::string& name);

// Values of elements [offset, offset + count) of the stream `key`, as zero-mean uniform with the
// given std, in float32 on `device`.
torch::Tensor seeded_uniform(uint64_t key, int64_t offset, int64_t count, double std,
                             torch::Device device);
// The same values computed with integer tensor ops on `device` (what seeded_uniform runs off the
// CPU; on the CPU it runs a host loop with the same bits).
torch::Tensor seeded_uniform_tensor_ops(uint64_t key, int64_t offset, int64_t count, double std,
                                        torch::Device device);

// Fills every parameter of `module` (names as named_parameters() gives them, prefixed with
// `prefix`) according to `rule`. The values are computed on the parameter's device, or on the
// device of an enclosing SeedDeviceScope, and copied in.
void init_parameters(torch::nn::Module& module, uint64_t seed, const InitRule& rule,
                     const std::string& prefix = "");

// While it lives, init_parameters on this thread computes values on `device` (same bits): host
// parameters seeded on a GPU. At 14b the integer hashing of ~20 billion values takes minutes of
// CPU and seconds of GPU.
class SeedDeviceScope {
 public:
  explicit SeedDeviceScope(torch::Device device);
  ~SeedDeviceScope();
  SeedDeviceScope(const SeedDeviceScope&) = delete;
  SeedDeviceScope& operator=(const SeedDeviceScope&) = delete;

 private:
  std::optional<torch::Device> previous_;
};

}  // namespace ablate
