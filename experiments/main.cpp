// The `ablate` command line. Exit codes: 0 ok, 1 failure, 2 bad input (nothing was run).
#include <CLI/CLI.hpp>

#include <iostream>

#include "core/error.h"
#include "experiments/generate_command.h"
#include "experiments/launch_command.h"
#include "experiments/profile_command.h"
#include "optimizations/registry.h"

int main(int argc, char** argv) {
  CLI::App app{"ablate: benchmarking and autoresearch harness for causal, KV-cached video DiT inference"};
  app.require_subcommand(1);
  ablate::GenerateCommandOptions generate;
  auto* generate_cmd = ablate::add_generate_command(app, generate);
  ablate::LaunchCommandOptions launch;
  auto* launch_cmd = ablate::add_launch_command(app, launch);
  ablate::ProfileCommandOptions profile;
  profile.argv.assign(argv, argv + argc);
  auto* profile_cmd = ablate::add_profile_command(app, profile);
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
    if (profile_cmd->parsed()) return ablate::run_profile_command(profile);
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
