// Options of the micro-benchmarks (flags of ablate_bench next to Google Benchmark's own) and the
// one timing helper they share: per-iteration CUDA events on the GPU, the host clock on the CPU,
// reported through SetIterationTime (the benchmarks use manual time).
#pragma once
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "profiling/phase_timer.h"

namespace ablate::bench {

struct BenchOptions {
  std::string preset = "tiny";
  std::string device = "cpu";
  std::string dtype;                       // default: fp32 on cpu, bf16 on cuda
  std::vector<int64_t> kv_frames;          // attention KV lengths in latent frames; default: 1 chunk .. whole cache
  int ranks = 2;                           // collective ranks (threads of this process)
  int64_t min_bytes = 1 << 10, max_bytes = 1 << 20;  // collective sizes, x4 steps (nccl-tests -b/-e/-f)
};

// Parses and removes the ablate flags from argv (Google Benchmark sees the rest); throws
// std::invalid_argument naming the flag and what is valid.
BenchOptions parse_bench_options(int* argc, char** argv);

// Times one call of `body` into the state's manual time; `clock` is null on the CPU.
template <typename F>
void time_iteration(benchmark::State& state, EventClock* clock, F&& body) {
  if (clock) {
    const int begin = clock->record();
    body();
    const int end = clock->record();
    clock->synchronize();  // read after the work, outside the measured interval
    state.SetIterationTime(clock->elapsed_ms(begin, end) / 1e3);
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    body();
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
}

}  // namespace ablate::bench
