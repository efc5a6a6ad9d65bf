// The `ablate` command line. Exit codes: 0 ok, 1 failure, 2 bad input (nothing was run),
// 3 `check` found no baseline for this machine's fingerprint (rebaseline required).
#include <CLI/CLI.hpp>

#include <iostream>

#include "core/error.h"
#include "experiments/generate_command.h"
#include "experiments/launch_command.h"
#include "experiments/run_command.h"
#include "optimizations/registry.h"

int main(int argc, char** argv) {
  CLI::App app{"ablate: benchmarking and autoresearch harness for causal, KV-cached video DiT inference"};
  app.require_subcommand(1);
  ablate::GenerateCommandOptions generate;
  auto* generate_cmd = ablate::add_generate_command(app, generate);
  ablate::LaunchCommandOptions launch;
  auto* launch_cmd = ablate::add_launch_command(app, launch);
  ablate::RunCommandOptions run;
  auto* run_cmd = ablate::add_run_command(app, run);
  ablate::CheckCommandOptions lock, check;
  auto* lock_cmd = ablate::add_lock_command(app, lock);
  auto* check_cmd = ablate::add_check_command(app, check);
  auto* list_cmd = app.add_subcommand("list", "Print the strategy table (name, values, tier, requires, conflicts).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (generate_cmd->parsed()) return ablate::run_generate_command(generate);
    if (launch_cmd->parsed()) return ablate::run_launch_command(launch);
    if (run_cmd->parsed()) return ablate::run_run_command(run);
    if (lock_cmd->parsed()) return ablate::run_lock_command(lock);
    if (check_cmd->parsed()) return ablate::run_check_command(check);
    if (list_cmd->parsed()) {
      std::cout << ablate::opt::strategy_table_markdown();
      return 0;
    }
  } catch (const ablate::UsageError& e) {
    std::cerr << "ablate: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ablate: failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
