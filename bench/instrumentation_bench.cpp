// The harness's own instrumentation, per call (issue 16 item 5): an ABLATE_NVTX_RANGE (NVTX push
// and pop when compiled in, plus the trace recorder's check) and one phase of the PhaseTimer
// (a steady-clock pair and, on CUDA, two events). Times these with no tool attached, as timed runs
// are; multiplied by the calls per generate() (the "instrumentation" counts of `generate --json`),
// they bound what the instrumentation costs a generate() on the host.
#include <benchmark/benchmark.h>

#include "bench/instrumentation_bench.h"
#include "profiling/nvtx.h"
#include "profiling/phase_timer.h"

namespace ablate::bench {
namespace {

void nvtx_range(benchmark::State& state) {
  int64_t i = 0;
  for (auto _ : state) {
    ABLATE_NVTX_RANGE("bench_range", i);
    benchmark::DoNotOptimize(++i);
  }
  state.SetItemsProcessed(state.iterations());
#if defined(ABLATE_NVTX) && ABLATE_NVTX
  state.SetLabel("NVTX compiled in");
#else
  state.SetLabel("NVTX compiled out");
#endif
}

void phase_timer_phase(benchmark::State& state, torch::Device device) {
  PhaseTimer timer(device);
  int64_t n = 0;
  timer.begin(Phase::kGenerate, -1);
  for (auto _ : state) {
    timer.begin(Phase::kChunk, n);
    timer.end(Phase::kChunk, n);
    if (++n == 4096) {  // keep the event list short; the finish() is outside the timing
      state.PauseTiming();
      timer.end(Phase::kGenerate, -1);
      timer.finish();
      n = 0;
      timer.begin(Phase::kGenerate, -1);
      state.ResumeTiming();
    }
  }
  timer.end(Phase::kGenerate, -1);
  timer.finish();
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(device.str());
}

}  // namespace

void register_instrumentation_benchmarks(const BenchOptions& o) {
  benchmark::RegisterBenchmark("instrumentation/nvtx_range", nvtx_range)->Unit(benchmark::kNanosecond);
  const torch::Device device(o.device);
  benchmark::RegisterBenchmark("instrumentation/phase_timer_phase",
                               [device](benchmark::State& s) { phase_timer_phase(s, device); })
      ->Unit(benchmark::kNanosecond);
}

}  // namespace ablate::bench
