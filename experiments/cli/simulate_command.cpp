#include "experiments/cli/simulate_command.h"

#include <iostream>

#include "core/error.h"
#include "experiments/common/output_folder.h"
#include "experiments/research/adaptive_replay.h"
#include "experiments/runner/ledger.h"

namespace ablate {

CLI::App* add_simulate_adaptive_command(CLI::App& app, SimulateAdaptiveOptions& o) {
  auto* cmd = app.add_subcommand("simulate-adaptive", "Replay adaptive repetitions on measured ledgers (a seeded "
                                                      "simulation from their samples): agreement with the fixed "
                                                      "protocol's verdicts, repetitions saved, A/A verdicts.");
  cmd->add_option("ledgers", o.ledgers, "Ledgers (JSONL)")->required();
  cmd->add_option("--trials", o.trials, "Simulated runs per pair")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--repetitions", o.repetitions, "The fixed protocol's repetitions (the rule's maximum)")
      ->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--min-repetitions", o.min_repetitions, "The rule's first look")->capture_default_str()
      ->check(CLI::Range(1, 10000));
  cmd->add_option("--look-step", o.look_step, "Repetitions between looks")->capture_default_str()->check(CLI::Range(1, 10000));
  cmd->add_option("--seed", o.seed, "Simulation seed")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--noise-floor-ms", o.noise_floor_ms, "A/A noise floor for the thresholds")->check(CLI::NonNegativeNumber);
  cmd->add_option("--out", o.out, "Also write the Markdown table to this file");
  return cmd;
}

int run_simulate_adaptive_command(const SimulateAdaptiveOptions& o) {
  ABLATE_USAGE_CHECK(o.min_repetitions <= o.repetitions, "--min-repetitions ", o.min_repetitions,
                     ": expected <= --repetitions ", o.repetitions);
  AdaptiveSimOptions so;
  so.trials = o.trials;
  so.repetitions = o.repetitions;
  so.seed = static_cast<uint64_t>(o.seed);
  so.protocol.rule.min_repetitions = o.min_repetitions;
  so.protocol.rule.look_step = o.look_step;
  so.protocol.thresholds.noise_floor_ms = o.noise_floor_ms;
  std::vector<std::pair<std::string, std::vector<LedgerRecord>>> ledgers;
  for (const auto& path : o.ledgers) ledgers.emplace_back(path, read_nonempty_ledger(path, "simulate-adaptive"));
  const auto result = simulate_adaptive(ledgers, so);
  ABLATE_USAGE_CHECK(!result.pairs.empty(), "simulate-adaptive: no ledger holds a baseline and a candidate with ",
                     so.min_samples, "+ samples each");
  const std::string table = adaptive_sim_markdown(result, so);
  std::cout << table;
  if (!o.out.empty()) write_file_atomically(o.out, table);
  return 0;
}

}  // namespace ablate
