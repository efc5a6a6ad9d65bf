// All-gather and all-to-all across message sizes on `ranks` ranks of this process (one thread
// each; Gloo on the CPU, NCCL with one GPU per rank on CUDA), reported as nccl-tests does:
// algbw = S / t and busbw = algbw * (n - 1) / n for both (S: the all-gather's output bytes,
// the all-to-all's bytes per rank).
#pragma once
#include "bench/bench_options.h"

namespace ablate::bench {

// Starts the peer ranks and registers all_gather and all_to_all (or one benchmark that reports
// why they cannot run here).
void register_collective_benchmarks(const BenchOptions& options);

// Stops the peer ranks (after the benchmarks ran).
void stop_collective_ranks();

}  // namespace ablate::bench
