// One measured generate(), the same for `ablate generate`, `ablate profile` and the runner: a
// barrier so every rank starts together, collective and peak-memory counters reset, phase timers
// (host clock + CUDA events) around generate(), and after the timed region the per-rank facts
// reduced on every rank: durations (max = what a user waits for), peak memory and the MD5 of each
// rank's final latents (ranks that disagree are a rank error).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/pipeline.h"
#include "profiling/gpu_clocks.h"
#include "experiments/runner/ledger_record.h"

namespace ablate {

struct Measurement {
  GenerateOutput output;                            // request 0's (the only one unbatched)
  std::vector<GenerateOutput> outputs;              // every request's, in request order
  std::vector<double> request_latency_ms;           // per request: its video done, from generate()'s start
  double generate_ms = 0;                           // host clock around generate(), this rank
  double sample_ms = 0;                             // max over ranks of generate_ms + extra_ms
  std::vector<double> rank_sample_ms;               // per rank
  std::map<std::string, double> phase_ms;           // per phase label: device time, else host time
  std::map<std::string, double> latency_ms;         // first_chunk, first_frame (from generate()'s start)
  double outside_phases_ms = -1;                    // of generate(), with no phase running (-1: not timed)
  std::map<std::string, CollectiveRow> collectives;  // this generate()'s calls, bytes, ms
  std::vector<int64_t> peak_per_rank;
  std::vector<std::string> rank_latent_md5s;        // MD5 of each rank's final latents
  // the harness's own instrumentation in this generate(), this rank: ranges opened (NVTX + trace
  // scope) and phases timed (host clock pairs; CUDA event pairs on a GPU)
  int64_t ranges = 0;
  int64_t timed_phases = 0;
  // this rank's GPU over generate(): SM clock, power, event reasons (absent: no NVML; gpu_clocks.h)
  std::optional<ClockWindow> gpu_clocks;
};

struct MeasureOptions {
  // time this rank spent for the request before generate() (a per-request rebuild), added to its sample
  double extra_ms = 0;
  // a test hook that changes this rank's final latents before they are hashed (a diverging rank)
  bool perturb_latents = false;
  // false: no per-phase timers, only generate() as a whole (to measure what the timers cost)
  bool phase_timers = true;
  // false: no GPU clock sampling around generate()
  bool gpu_clocks = true;
};

Measurement measure_generate(Pipeline& pipeline, const GenerateRequest& request, dist::Communicator* comm,
                             const MeasureOptions& options = {});
// The same around one generate_batch() of `requests` (rank_latent_md5s: of all requests' latents
// stacked in request order; one request: exactly measure_generate).
Measurement measure_generate_batch(Pipeline& pipeline, const std::vector<GenerateRequest>& requests,
                                   dist::Communicator* comm, const MeasureOptions& options = {});

}  // namespace ablate
