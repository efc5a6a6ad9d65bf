// Times every phase of generate(): a host steady clock always, and CUDA events on the current
// stream on a CUDA device (no sync inside the timed region: events are read in finish()).
// Phases may be timed from several host threads at once (a decode issued from its own thread):
// each thread's phases nest, and an event is recorded on that thread's current stream.
#pragma once
#include <torch/torch.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "profiling/phase_hooks.h"

namespace ablate {

struct PhaseTiming {
  Phase phase;
  int64_t index = -1;
  double host_ms = 0;    // steady clock between begin() and end() on the host
  double device_ms = -1; // CUDA events; -1 on the CPU
  // When the phase ended, counted from the start of the first phase (generate()): what latency
  // metrics read (time to the first chunk / frame). Device: from CUDA events, else -1.
  double host_end_offset_ms = 0;
  double device_end_offset_ms = -1;
  std::string label() const;  // "chunk[3]", "vae_decode", ...
};

// Of generate()'s span, the time during which no other phase was running on any thread or stream
// (device clocks where the timings have them, else host clocks): host work and waits between
// phases. Phases that overlap (a decode on a side stream beside a chunk) count once. -1 when `timings` holds no generate phase.
double time_outside_phases_ms(const std::vector<PhaseTiming>& timings);

// Device-side event pair source; the CUDA implementation lives in phase_timer_cuda.cpp.
class EventClock {
 public:
  virtual ~EventClock() = default;
  virtual int record() = 0;                       // records an event now, returns its id
  virtual double elapsed_ms(int from, int to) = 0;  // after synchronize()
  virtual void synchronize() = 0;                 // waits for the device (outside timed work)
};

std::unique_ptr<EventClock> make_event_clock(torch::Device device);  // nullptr on the CPU

class PhaseTimer : public PhaseHooks {
 public:
  // phases = false: only generate() as a whole is timed (what the harness's own timing costs is
  // measured against this)
  explicit PhaseTimer(torch::Device device, bool phases = true);
  void begin(Phase phase, int64_t index) override;
  void end(Phase phase, int64_t index) override;
  // Waits for the device and returns the timings in begin() order; the generate phase's host
  // time includes that final wait, so it is what a caller waits for.
  std::vector<PhaseTiming> finish();

 private:
  struct Open {
    Phase phase;
    int64_t index;
    std::chrono::steady_clock::time_point host_begin;
    int event_begin;
    size_t slot;
  };
  std::unique_ptr<EventClock> clock_;
  bool phases_;
  std::chrono::steady_clock::time_point host_origin_;
  std::mutex mutex_;
  std::map<std::thread::id, std::vector<Open>> open_;  // per thread: its open phases, innermost last
  std::vector<PhaseTiming> done_;
  std::vector<std::pair<int, int>> events_;
};

}  // namespace ablate
