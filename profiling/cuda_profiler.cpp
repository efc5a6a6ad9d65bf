#include "profiling/cuda_profiler.h"

#include <stdexcept>

namespace ablate {

#if !defined(ABLATE_CUDA)
std::string cuda_profiler_unavailable_reason() {
  return "this is a CPU build of LibTorch: no CUDA profiler API (cudaProfilerStart/Stop) is there";
}
void cuda_profiler_start() { throw std::logic_error("cuda_profiler_start: " + cuda_profiler_unavailable_reason()); }
void cuda_profiler_stop() { throw std::logic_error("cuda_profiler_stop: " + cuda_profiler_unavailable_reason()); }
#endif

}  // namespace ablate
