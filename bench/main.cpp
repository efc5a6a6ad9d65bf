// ablate_bench: Google Benchmark micro-benchmarks of the model's parts and of the collectives.
//   ablate_bench [--preset=tiny|1.3b|14b] [--device=cpu|cuda] [--dtype=fp32|bf16] [--kv-frames=3,12,21]
//                [--ranks=2] [--min-bytes=1024] [--max-bytes=1048576] [Google Benchmark flags]
#include <benchmark/benchmark.h>

#include <iostream>

#include "bench/bench_options.h"
#include "bench/collective_bench.h"
#include "bench/instrumentation_bench.h"
#include "bench/model_bench.h"

int main(int argc, char** argv) {
  ablate::bench::BenchOptions options;
  try {
    options = ablate::bench::parse_bench_options(&argc, argv);
    ablate::bench::register_model_benchmarks(options);
    ablate::bench::register_collective_benchmarks(options);
    ablate::bench::register_instrumentation_benchmarks(options);
  } catch (const std::exception& e) {
    std::cerr << "ablate_bench: error: " << e.what() << "\n";
    return 2;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::AddCustomContext("ablate_preset", options.preset);
  benchmark::AddCustomContext("ablate_device", options.device);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  ablate::bench::stop_collective_ranks();
  return 0;
}
