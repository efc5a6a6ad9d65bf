// Makes a CUDA device the process's current one (streams, events and NCCL follow it); a no-op
// in CPU builds and for CPU devices.
#pragma once
#include <torch/torch.h>

namespace ablate {

void use_device(torch::Device device);

// Whether the current stream of `device` is capturing a CUDA graph (false on the CPU and in CPU
// builds): work issued now only runs when the graph is replayed.
bool stream_is_capturing(torch::Device device);

}  // namespace ablate
