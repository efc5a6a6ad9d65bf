// Makes a CUDA device the process's current one (streams, events and NCCL follow it); a no-op
// in CPU builds and for CPU devices.
#pragma once
#include <torch/torch.h>

namespace ablate {

void use_device(torch::Device device);

}  // namespace ablate
