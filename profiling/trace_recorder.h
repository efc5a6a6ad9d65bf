// Ablate's own trace of its named ranges (the NVTX tree) and phases, for `ablate profile --trace`:
// while a TraceRecorder is active, every ABLATE_NVTX_RANGE records its begin and end with the
// thread it ran on, and to_chrome_json() writes them in the Trace Event Format (Chrome, Perfetto).
// Where LibTorch has Kineto the ranges also open RecordFunction scopes (set_record_function_ranges),
// so Kineto's trace shows them beside the kernels.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <map>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "profiling/phase_hooks.h"

namespace at {
struct RecordFunction;
}

namespace ablate::trace {

struct TraceEvent {
  const char* name = "";             // a string literal (range names) or phase_name()
  int64_t index = -1;                // the range's payload (chunk, step, block); -1: none
  int tid = 0;                       // kPhaseTrack for phases, else this_thread_id()
  double begin_us = 0, end_us = -1;  // from the recorder's creation; end -1: never closed
};

constexpr int kPhaseTrack = 0;  // the pseudo-thread that holds the phase timers' spans
// Phases timed from another host thread (a decode issued from its own thread) go on a track of
// their own, kPhaseTrack - this_thread_id(), so that each track's spans nest.
inline bool is_phase_track(int tid) { return tid <= kPhaseTrack; }

// A small id per thread (1, 2, ... in first-use order): readable tids in the trace.
int this_thread_id();

class TraceRecorder {
 public:
  TraceRecorder();
  size_t begin(const char* name, int64_t index, int tid);  // returns the event's slot
  void end(size_t slot);
  std::vector<TraceEvent> events() const;  // in begin order
  // {"traceEvents": [...], "displayTimeUnit": "ms", ...}: one complete ("X") event per closed
  // range (args.index when it has one), thread names as metadata ("M") events.
  std::string to_chrome_json() const;

 private:
  double now_us() const;
  std::chrono::steady_clock::time_point origin_;
  mutable std::mutex mutex_;
  std::vector<TraceEvent> events_;
};

// The recorder the range macro writes to (nullptr, the default: ranges cost one atomic load).
void set_active_recorder(TraceRecorder* recorder);
TraceRecorder* active_recorder();
// When on, each range also opens an at::RecordFunction user scope ("block[3]") for Kineto.
void set_record_function_ranges(bool on);
// Ranges opened so far in this process (monotonic; one relaxed atomic add per range): with the
// per-range cost of `ablate_bench --benchmark_filter=instrumentation`, what the ranges cost a run.
int64_t ranges_opened();

// One range: what ABLATE_NVTX_RANGE opens beside its NVTX range.
class RangeScope {
 public:
  explicit RangeScope(const char* name, int64_t index = -1);
  ~RangeScope();
  RangeScope(const RangeScope&) = delete;
  RangeScope& operator=(const RangeScope&) = delete;

 private:
  TraceRecorder* recorder_ = nullptr;
  size_t slot_ = 0;
  std::unique_ptr<at::RecordFunction> record_function_;
};

// PhaseHooks that record each phase on the phase track while `recorder` is the active one, and
// pass the calls on to `inner`. The thread that opens the first phase records on kPhaseTrack,
// any other on its own phase track; each thread's phases nest.
class PhaseTraceHooks : public PhaseHooks {
 public:
  explicit PhaseTraceHooks(TraceRecorder& recorder, PhaseHooks* inner = nullptr) : recorder_(recorder), inner_(inner) {}
  void begin(Phase phase, int64_t index) override;
  void end(Phase phase, int64_t index) override;

 private:
  static constexpr size_t kNotRecorded = static_cast<size_t>(-1);
  TraceRecorder& recorder_;
  PhaseHooks* inner_;
  std::mutex mutex_;
  std::thread::id first_thread_;
  std::map<std::thread::id, std::vector<size_t>> open_;  // per thread: slots, innermost last
};

}  // namespace ablate::trace
