// `ablate simulate-adaptive LEDGER...`: how adaptive repetitions would have decided on measured
// ledgers (research/adaptive_replay.h): verdict agreement with the fixed protocol, repetitions
// used, and the A/A pairs.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ablate {

struct SimulateAdaptiveOptions {
  std::vector<std::string> ledgers;
  int trials = 20, repetitions = 20, min_repetitions = 5, look_step = 5;
  int64_t seed = 1;
  double noise_floor_ms = 0;
  std::string out;  // Markdown file ("" = stdout only)
};

CLI::App* add_simulate_adaptive_command(CLI::App& app, SimulateAdaptiveOptions& o);
int run_simulate_adaptive_command(const SimulateAdaptiveOptions& o);

}  // namespace ablate
