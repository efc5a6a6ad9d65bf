// NVTX3 ranges in the "ablate" domain through one RAII macro. Range names are registered strings
// (cached per call site); the variable part (chunk, step, block index) goes in the int64 payload.
// The NVTX part is compiled out when ABLATE_NVTX is 0 (CMake option ABLATE_ENABLE_NVTX=OFF); the
// same macro also opens a trace::RangeScope, which records the range while a trace recorder is
// active (`ablate profile --trace`) and costs one atomic load otherwise.
#pragma once
#include "profiling/trace_recorder.h"

#if defined(ABLATE_NVTX) && ABLATE_NVTX
#include <nvtx3/nvtx3.hpp>

#include <cstdint>

namespace ablate::nvtx {

struct Domain {
  static constexpr char const* name{"ablate"};
};
using RegisteredName = ::nvtx3::registered_string_in<Domain>;

class Range {
 public:
  explicit Range(const RegisteredName& name) : range_{::nvtx3::event_attributes{name}} {}
  Range(const RegisteredName& name, int64_t index)
      : range_{::nvtx3::event_attributes{name, ::nvtx3::payload{index}}} {}

 private:
  ::nvtx3::scoped_range_in<Domain> range_;
};

}  // namespace ablate::nvtx

#define ABLATE_NVTX_CAT2_(a, b) a##b
#define ABLATE_NVTX_CAT_(a, b) ABLATE_NVTX_CAT2_(a, b)
// ABLATE_NVTX_RANGE("name") or ABLATE_NVTX_RANGE("name", index): a range until the end of scope.
#define ABLATE_NVTX_RANGE(NAME, ...)                                                 \
  static const ::ablate::nvtx::RegisteredName ABLATE_NVTX_CAT_(ablate_nvtx_name_, __LINE__){NAME}; \
  ::ablate::nvtx::Range ABLATE_NVTX_CAT_(ablate_nvtx_range_, __LINE__) {             \
    ABLATE_NVTX_CAT_(ablate_nvtx_name_, __LINE__), ##__VA_ARGS__                     \
  };                                                                                 \
  ::ablate::trace::RangeScope ABLATE_NVTX_CAT_(ablate_trace_range_, __LINE__)(NAME, ##__VA_ARGS__)
#else
#define ABLATE_NVTX_CAT2_(a, b) a##b
#define ABLATE_NVTX_CAT_(a, b) ABLATE_NVTX_CAT2_(a, b)
#define ABLATE_NVTX_RANGE(NAME, ...) \
  ::ablate::trace::RangeScope ABLATE_NVTX_CAT_(ablate_trace_range_, __LINE__)(NAME, ##__VA_ARGS__)
#endif
