// PhaseHooks that open the CUDA profiler's capture range when chunk `first` begins and close it
// when chunk `last` ends, so nsys/ncu record only those chunks of one generate(). Other hooks
// (a PhaseTimer) can ride along through `inner`.
#pragma once
#include <cstdint>
#include <functional>

#include "profiling/phase_hooks.h"

namespace ablate {

class CaptureWindow : public PhaseHooks {
 public:
  // start/stop default to cuda_profiler_start/stop; tests pass their own.
  CaptureWindow(int64_t first_chunk, int64_t last_chunk, PhaseHooks* inner = nullptr,
                std::function<void()> start = {}, std::function<void()> stop = {});

  void begin(Phase phase, int64_t index) override;
  void end(Phase phase, int64_t index) override;

  int starts() const { return starts_; }
  int stops() const { return stops_; }

 private:
  int64_t first_, last_;
  PhaseHooks* inner_;
  std::function<void()> start_, stop_;
  int starts_ = 0, stops_ = 0;
};

}  // namespace ablate
