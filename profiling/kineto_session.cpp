#include "profiling/kineto_session.h"

#include <stdexcept>

#include "profiling/trace_recorder.h"

#if defined(ABLATE_HAVE_KINETO)
#include <torch/csrc/autograd/profiler_kineto.h>

#include <set>
#endif

namespace ablate::trace {

#if defined(ABLATE_HAVE_KINETO)

std::string kineto_unavailable_reason() { return ""; }

void kineto_start(bool cuda) {
  using torch::profiler::impl::ActivityType;
  const torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::KINETO);
  std::set<ActivityType> activities{ActivityType::CPU};
  if (cuda) activities.insert(ActivityType::CUDA);
  torch::autograd::profiler::prepareProfiler(config, activities);
  set_record_function_ranges(true);
  torch::autograd::profiler::enableProfiler(config, activities);
}

void kineto_stop_and_save(const std::string& path) {
  auto result = torch::autograd::profiler::disableProfiler();
  set_record_function_ranges(false);
  if (!result) throw std::runtime_error("kineto: disableProfiler() returned no result; no trace for " + path);
  result->save(path);
}

#else

std::string kineto_unavailable_reason() {
  return "this build's LibTorch has no Kineto profiler (ABLATE_HAVE_KINETO is off: a CPU or pre-2.0 LibTorch)";
}

void kineto_start(bool) { throw std::runtime_error("kineto_start: " + kineto_unavailable_reason()); }

void kineto_stop_and_save(const std::string& path) {
  throw std::runtime_error("kineto_stop_and_save(" + path + "): " + kineto_unavailable_reason());
}

#endif

}  // namespace ablate::trace
