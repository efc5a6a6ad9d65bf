// Milliseconds of host steady clock since a time point (the runner's engine builds and groups).
#pragma once
#include <chrono>

namespace ablate {

inline double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace ablate
