#include "profiling/capture_window.h"

#include "profiling/cuda_profiler.h"

namespace ablate {

CaptureWindow::CaptureWindow(int64_t first_chunk, int64_t last_chunk, PhaseHooks* inner, std::function<void()> start,
                             std::function<void()> stop)
    : first_(first_chunk),
      last_(last_chunk),
      inner_(inner),
      start_(start ? std::move(start) : std::function<void()>(cuda_profiler_start)),
      stop_(stop ? std::move(stop) : std::function<void()>(cuda_profiler_stop)) {}

// The window is the outermost layer: it opens before the inner hooks see the chunk begin and
// closes after they see it end (the pipeline's NVTX chunk range sits inside both).
void CaptureWindow::begin(Phase phase, int64_t index) {
  if (phase == Phase::kChunk && index == first_) {
    start_();
    ++starts_;
  }
  if (inner_) inner_->begin(phase, index);
}

void CaptureWindow::end(Phase phase, int64_t index) {
  if (inner_) inner_->end(phase, index);
  if (phase == Phase::kChunk && index == last_) {
    stop_();
    ++stops_;
  }
}

}  // namespace ablate
