#include "core/seeded_init.h"

#include <ATen/Parallel.h>

#include <cmath>

namespace ablate {
namespace {

constexpr int64_t kMask32 = 0xFFFFFFFFLL;

// (x * c) mod 2^32 for x < 2^32, without int64 overflow: split x into 16-bit halves.
torch::Tensor mul32(const torch::Tensor& x, int64_t c) {
  auto lo = torch::bitwise_and(x, 0xFFFF) * c;
  auto hi = torch::bitwise_and(torch::bitwise_right_shift(x, 16) * c, 0xFFFF);
  return torch::bitwise_and(lo + hi * 65536, kMask32);
}

// "lowbias32" integer hash (Chris Wellons), on int64 tensors holding 32-bit values.
torch::Tensor mix32(torch::Tensor x) {
  x = torch::bitwise_xor(x, torch::bitwise_right_shift(x, 16));
  x = mul32(x, 0x7feb352d);
  x = torch::bitwise_xor(x, torch::bitwise_right_shift(x, 15));
  x = mul32(x, 0x846ca68b);
  x = torch::bitwise_xor(x, torch::bitwise_right_shift(x, 16));
  return x;
}

// the device of the innermost SeedDeviceScope on this thread
std::optional<torch::Device>& seed_device_override() {
  static thread_local std::optional<torch::Device> device;
  return device;
}

}  // namespace

SeedDeviceScope::SeedDeviceScope(torch::Device device) : previous_(seed_device_override()) {
  seed_device_override() = device;
}

SeedDeviceScope::~SeedDeviceScope() { seed_device_override() = previous_; }

uint64_t parameter_stream_key(uint64_t seed, const std::string& name) {
  uint64_t h = 1469598103934665603ULL ^ (seed * 0x9E3779B97F4A7C15ULL);
  for (unsigned char c : name) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

namespace {

// The same hash and float steps as seeded_uniform_tensor_ops, one element at a time: each step is
// one IEEE float32 operation, as ATen's elementwise kernels do them (u * 2 is exact, so a fused
// multiply-add of u * 2 - 1 rounds the same).
uint32_t mix32_scalar(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}

torch::Tensor seeded_uniform_host(uint64_t key, int64_t offset, int64_t count, float a) {
  const auto k0 = static_cast<uint32_t>(key & 0xFFFFFFFFULL);
  const auto k1 = static_cast<uint32_t>(key >> 32);
  auto out = torch::empty({count}, torch::kFloat);
  float* data = out.data_ptr<float>();
  at::parallel_for(0, count, int64_t{1} << 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto idx = static_cast<uint64_t>(offset + i);
      uint32_t x = mix32_scalar(static_cast<uint32_t>(idx & 0xFFFFFFFFULL) ^ k0);
      x = mix32_scalar(x ^ (static_cast<uint32_t>(idx >> 32) ^ k1));
      const float u = (static_cast<float>(x >> 8) + 0.5f) * (1.0f / 16777216.0f);
      data[i] = (u * 2.0f - 1.0f) * a;
    }
  });
  return out;
}

}  // namespace

torch::Tensor seeded_uniform(uint64_t key, int64_t offset, int64_t count, double std,
                             torch::Device device) {
  // the host loop is the tensor ops' bits (SeededInitTest) at ~1/10 of their time: every process
  // that builds a pipeline on the CPU (the tests, the CPU matrix) pays it
  if (device.is_cpu()) return seeded_uniform_host(key, offset, count, static_cast<float>(std * std::sqrt(3.0)));
  return seeded_uniform_tensor_ops(key, offset, count, std, device);
}

torch::Tensor seeded_uniform_tensor_ops(uint64_t key, int64_t offset, int64_t count, double std,
                                        torch::Device device) {
  const int64_t k0 = static_cast<int64_t>(key & 0xFFFFFFFFULL);
  const int64_t k1 = static_cast<int64_t>(key >> 32);
  auto idx = torch::arange(offset, offset + count,
                           torch::TensorOptions().dtype(torch::kLong).device(device));
  auto x = mix32(torch::bitwise_xor(torch::bitwise_and(idx, kMask32), k0));
  x = mix32(torch::bitwise_xor(x, torch::bitwise_xor(torch::bitwise_right_shift(idx, 32), k1)));
  // top 24 bits -> (u + 0.5) / 2^24 in (0, 1), exact in float32
  auto u = (torch::bitwise_right_shift(x, 8).to(torch::kFloat) + 0.5f) * (1.0f / 16777216.0f);
  // uniform on [-a, a] has std a / sqrt(3)
  const float a = static_cast<float>(std * std::sqrt(3.0));
  return (u * 2.0f - 1.0f) * a;
}

void init_parameters(torch::nn::Module& module, uint64_t seed, const InitRule& rule,
                     const std::string& prefix) {
  torch::NoGradGuard no_grad;
  // Generated in slices so a 1B-element embedding needs no 8 GB int64 temporary.
  constexpr int64_t kSlice = int64_t{1} << 24;
  for (auto& item : module.named_parameters(/*recurse=*/true)) {
    const std::string name = prefix + item.key();
    torch::Tensor param = item.value();
    const InitSpec spec = rule(name, param);
    if (spec.kind == InitSpec::Kind::kConstant) {
      param.fill_(spec.value);
      continue;
    }
    const uint64_t key = parameter_stream_key(seed, name);
    const torch::Device at = seed_device_override().value_or(param.device());
    auto flat = param.view({-1});
    const int64_t n = flat.numel();
    for (int64_t start = 0; start < n; start += kSlice) {
      const int64_t count = std::min(kSlice, n - start);
      flat.narrow(0, start, count).copy_(seeded_uniform(key, start, count, spec.std, at));
    }
  }
}

}  // namespace ablate
