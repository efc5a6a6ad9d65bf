// The CUDA profiler API (cudaProfilerStart/Stop): the capture range that
// `nsys profile --capture-range=cudaProfilerApi` and `ncu --profile-from-start off` obey.
#pragma once
#include <string>

namespace ablate {

// Empty when start/stop can be called here; else why not (a CPU build, no runtime loaded).
std::string cuda_profiler_unavailable_reason();

// Waits for the device, then starts / stops the capture (so it holds exactly the work between).
void cuda_profiler_start();
void cuda_profiler_stop();

}  // namespace ablate
