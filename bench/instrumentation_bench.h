// Micro-benchmarks of the harness's own instrumentation (NVTX ranges, phase timers).
#pragma once
#include "bench/bench_options.h"

namespace ablate::bench {

void register_instrumentation_benchmarks(const BenchOptions& o);

}  // namespace ablate::bench
