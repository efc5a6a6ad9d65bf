// A Kineto profiling session (PyTorch's profiler: CPU ops, CUDA kernels and memcpys, and Ablate's
// ranges as RecordFunction scopes) saved as a Chrome/Perfetto trace. Available where LibTorch
// ships Kineto (the CUDA LibTorch 2.x build, compile definition ABLATE_HAVE_KINETO on this file).
#pragma once
#include <string>

namespace ablate::trace {

// "" when Kineto traces can be written; else why not (which build lacks it).
std::string kineto_unavailable_reason();

// Starts the profiler (CPU and, with `cuda`, CUDA activities) and turns on the ranges'
// RecordFunction scopes. Throws std::runtime_error where kineto_unavailable_reason() is not "".
void kineto_start(bool cuda);
// Stops the profiler and writes its trace to `path` (Trace Event Format JSON).
void kineto_stop_and_save(const std::string& path);

}  // namespace ablate::trace
