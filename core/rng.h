// A seeded generator on the run's device: CPU mt19937 or CUDA Philox, as torch.Generator(device)
// with manual_seed(seed) in the reference; draws in the reference's order reproduce its stream.
#pragma once
#include <ATen/core/Generator.h>
#include <torch/torch.h>

#include <cstdint>

namespace ablate {

at::Generator make_generator(torch::Device device, uint64_t seed);

#if defined(ABLATE_CUDA)
// Defined in rng_cuda.cpp (CUDA builds only).
at::Generator make_cuda_generator(int device_index, uint64_t seed);
#endif

}  // namespace ablate
