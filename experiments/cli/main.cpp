// The `ablate` command line. Exit codes: 0 ok, 1 failure, 2 bad input (nothing was run),
// 3 `check` found no baseline for this machine's fingerprint (rebaseline required).
#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "core/error.h"
#include "experiments/cli/export_command.h"
#include "experiments/cli/generate_command.h"
#include "experiments/common/invocation.h"
#include "experiments/research/journal.h"
#include "experiments/cli/launch_command.h"
#include "experiments/cli/memory_command.h"
#include "experiments/common/output_folder.h"
#include "experiments/cli/research_commands.h"
#include "experiments/cli/run_command.h"
#include "experiments/cli/profile_command.h"
#include "experiments/runner/memory_preflight.h"
#include "optimizations/registry.h"

int main(int argc, char** argv) {
  ablate::set_invocation(argc, argv);
  CLI::App app{"ablate: benchmarking and autoresearch harness for causal, KV-cached video DiT inference"};
  app.require_subcommand(1);
  bool no_preflight = false;
  app.add_flag("--no-preflight", no_preflight,
               "Skip the memory preflight (before the command: `ablate --no-preflight run ...`)");
  ablate::GenerateCommandOptions generate;
  auto* generate_cmd = ablate::add_generate_command(app, generate);
  ablate::LaunchCommandOptions launch;
  auto* launch_cmd = ablate::add_launch_command(app, launch);
  ablate::RunCommandOptions run;
  auto* run_cmd = ablate::add_run_command(app, run);
  ablate::CheckCommandOptions lock, check;
  auto* lock_cmd = ablate::add_lock_command(app, lock);
  auto* check_cmd = ablate::add_check_command(app, check);
  ablate::ResearchOptions research;
  ablate::add_research_commands(app, research);
  ablate::ProfileCommandOptions profile;
  profile.argv.assign(argv, argv + argc);
  auto* profile_cmd = ablate::add_profile_command(app, profile);
  ablate::ExportCommandOptions export_checkpoint;
  auto* export_cmd = ablate::add_export_command(app, export_checkpoint);
  ablate::MemoryCommandOptions memory;
  auto* memory_cmd = ablate::add_memory_command(app, memory);
  auto* list_cmd = app.add_subcommand("list", "Print the strategy table (name, values, tier, requires, conflicts).");
  std::string update_journal;
  list_cmd->add_option("--update", update_journal, "Rewrite the strategy table in this journal (EXPERIMENTS.md)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (no_preflight) ablate::set_memory_preflight_enabled(false);
  try {
    if (memory_cmd->parsed()) return ablate::run_memory_command(memory);
    if (generate_cmd->parsed()) return ablate::run_generate_command(generate);
    if (launch_cmd->parsed()) return ablate::run_launch_command(launch);
    if (run_cmd->parsed()) return ablate::run_run_command(run);
    if (lock_cmd->parsed()) return ablate::run_lock_command(lock);
    if (check_cmd->parsed()) return ablate::run_check_command(check);
    if (profile_cmd->parsed()) return ablate::run_profile_command(profile);
    if (export_cmd->parsed()) return ablate::run_export_command(export_checkpoint);
    if (list_cmd->parsed()) {
      if (update_journal.empty()) {
        std::cout << ablate::opt::strategy_table_markdown();
        return 0;
      }
      std::ifstream f(update_journal);
      if (!f.good()) throw ablate::UsageError("--update " + update_journal + ": cannot read the file");
      std::stringstream ss;
      ss << f.rdbuf();
      ablate::write_file_atomically(update_journal,
                                    ablate::replace_strategy_table(ss.str(), ablate::opt::strategy_table_markdown()));
      std::cout << "updated the strategy table in " << update_journal << "\n";
      return 0;
    }
    if (const int rc = ablate::run_research_command(app, research); rc >= 0) return rc;
  } catch (const ablate::UsageError& e) {
    std::cerr << "ablate: error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ablate: failed: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
