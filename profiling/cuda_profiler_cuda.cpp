// CUDA-only. cudaProfilerStart/Stop are looked up in the process (LibTorch's CUDA library loads
// the runtime) rather than linked: LibTorch's CMake does not promise our targets a cudart link.
#include <c10/cuda/CUDAFunctions.h>
#include <dlfcn.h>

#include <stdexcept>

#include "profiling/cuda_profiler.h"

namespace ablate {
namespace {

using ProfilerCall = int (*)();  // cudaError_t, 0 = cudaSuccess

ProfilerCall lookup(const char* name) { return reinterpret_cast<ProfilerCall>(::dlsym(RTLD_DEFAULT, name)); }

void call(const char* name) {
  const ProfilerCall fn = lookup(name);
  if (!fn) throw std::runtime_error(std::string(name) + " not found in the process: " + cuda_profiler_unavailable_reason());
  c10::cuda::device_synchronize();  // the capture edge falls between finished and not-yet-launched work
  const int err = fn();
  if (err != 0) throw std::runtime_error(std::string(name) + " failed with cudaError " + std::to_string(err));
}

}  // namespace

std::string cuda_profiler_unavailable_reason() {
  if (c10::cuda::device_count() == 0) return "no CUDA GPU is visible";
  if (!lookup("cudaProfilerStart") || !lookup("cudaProfilerStop"))
    return "the CUDA runtime loaded by LibTorch does not export cudaProfilerStart/Stop";
  return "";
}

void cuda_profiler_start() { call("cudaProfilerStart"); }
void cuda_profiler_stop() { call("cudaProfilerStop"); }

}  // namespace ablate
