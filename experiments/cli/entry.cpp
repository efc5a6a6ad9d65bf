// `ablate`'s command line as a function (entry.h): the subcommands, their dispatch and the one-line
// errors. main.cpp calls it with the build's version text.
#include "experiments/cli/entry.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <sstream>

#include "core/compat.h"
#include "core/error.h"
#include "experiments/cli/export_command.h"
#include "experiments/cli/generate_command.h"
#include "experiments/common/invocation.h"
#include "experiments/common/operation_context.h"
#include "experiments/research/journal.h"
#include "experiments/cli/launch_command.h"
#include "experiments/cli/merge_command.h"
#include "experiments/cli/simulate_command.h"
#include "experiments/cli/memory_command.h"
#include "experiments/common/output_folder.h"
#include "experiments/cli/research_commands.h"
#include "experiments/cli/run_command.h"
#include "experiments/cli/profile_command.h"
#include "experiments/runner/memory_preflight.h"
#include "optimizations/registry.h"

namespace {

// Examples for each subcommand's --help whose own file gives none (set here, after they exist).
void add_help_examples(CLI::App& app) {
  const std::pair<const char*, const char*> examples[] = {
      {"generate", "  ablate generate --preset tiny\n"
                   "  ablate generate --preset 1.3b --device cuda --dtype bf16 --save-video out.mp4\n"
                   "  ablate generate --preset tiny --set text_cache=on --save-contact-sheet sheet.png"},
      {"launch", "  ablate launch --nproc 2 -- generate --preset tiny\n"
                 "  ablate launch --nproc 2 -- run --matrix experiments/matrices/tiny-cpu.json --out out/w2"},
      {"run", "  ablate run --matrix experiments/matrices/tiny-cpu.json --out out/m1\n"
              "  ablate run --preset tiny --axis sync_elim=off,on --axis text_cache=off,on --out out/m2\n"
              "  ablate run --matrix experiments/matrices/tiny-cpu.json --mode aa --out out/aa"},
      {"lock", "  ablate lock --matrix experiments/matrices/ci-check-tiny.json --baseline baselines/ci-check-tiny.json"},
      {"check", "  ablate check --baseline baselines/ci-check-tiny.json\n"
                "  ablate check --baseline baselines/ci-check-tiny.json --out out/check"},
      {"compare", "  ablate compare out/before/ledger.jsonl out/after/ledger.jsonl --aa out/aa/ledger.jsonl"},
      {"search", "  ablate search --matrix experiments/matrices/tiny-cpu.json --measure-noise-floor --out out/search\n"
                 "  ablate search --matrix experiments/matrices/search-1.3b.json --allow-tier-b --time-budget-s 3600"},
      {"analyze", "  ablate run --preset tiny --axis sync_elim=off,on --axis text_cache=off,on --out out/f2\n"
                  "  ablate analyze out/f2/ledger.jsonl"},
      {"experiment", "  ablate experiment --ledger out/m1/ledger.jsonl --title 'text cache' --hypothesis 'T5 once per "
                     "prompt' --decision keep"},
      {"report", "  ablate report out/m1/ledger.jsonl --out out/m1   # report.html finds the thumbnails beside the ledger"},
      {"list", "  ablate list\n  ablate list --update EXPERIMENTS.md"},
  };
  for (const auto& [name, text] : examples) {
    for (CLI::App* sub : app.get_subcommands([&](CLI::App* a) { return a->get_name() == name; }))
      if (sub->get_footer().empty()) sub->footer(std::string("Examples:\n") + text);
  }
}

}  // namespace
namespace main_parts {

// "ablate: failed: <the message's first line> (while <operation>)"; the full text with --verbose.
void report_internal_error(const std::string& message, const std::string& full, bool verbose) {
  const std::string first = message.substr(0, message.find('\n'));
  const std::string operation = ablate::failed_operation_text();
  std::string note = operation;
  if (!verbose && first.size() != full.size()) note += (note.empty() ? "" : "; ") + std::string("--verbose for the full text");
  std::cerr << "ablate: failed: " << first << (note.empty() ? "" : " (" + note + ")") << "\n";
  if (verbose) std::cerr << "full error text:\n" << full << (full.empty() || full.back() != '\n' ? "\n" : "");
}

// CLI11 would only say "A subcommand is required": name the unknown one and the valid ones.
bool known_subcommand(CLI::App& app, const std::string& first) {
  if (first.empty() || first[0] == '-') return true;
  std::string valid;
  bool known = false;
  for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    known = known || sub->get_name() == first;
    valid += (valid.empty() ? "" : ", ") + sub->get_name();
  }
  if (!known) std::cerr << "ablate: error: unknown subcommand '" << first << "'; valid subcommands: " << valid << "\n";
  return known;
}

// `ablate list [--update JOURNAL]`: the strategy table, printed or rewritten in the journal.
int run_list_command(const std::string& update_journal) {
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

// Every subcommand's options and its parsed-or-not handle; dispatch() runs the parsed one
// (-1: none of them ran).
struct Commands {
  ablate::GenerateCommandOptions generate;
  CLI::App* generate_cmd = nullptr;
  ablate::LaunchCommandOptions launch;
  CLI::App* launch_cmd = nullptr;
  ablate::RunCommandOptions run;
  CLI::App* run_cmd = nullptr;
  ablate::MergeCommandOptions merge;
  CLI::App* merge_cmd = nullptr;
  ablate::SimulateAdaptiveOptions simulate;
  CLI::App* simulate_cmd = nullptr;
  ablate::CheckCommandOptions lock, check;
  CLI::App* lock_cmd = nullptr;
  CLI::App* check_cmd = nullptr;
  ablate::ResearchOptions research;
  ablate::ProfileCommandOptions profile;
  CLI::App* profile_cmd = nullptr;
  ablate::ExportCommandOptions export_checkpoint;
  CLI::App* export_cmd = nullptr;
  ablate::MemoryCommandOptions memory;
  CLI::App* memory_cmd = nullptr;
  CLI::App* list_cmd = nullptr;
  std::string update_journal;

  void add(CLI::App& app, int argc, char** argv) {
    generate_cmd = ablate::add_generate_command(app, generate);
    launch_cmd = ablate::add_launch_command(app, launch);
    run.argv.assign(argv, argv + argc);
    run_cmd = ablate::add_run_command(app, run);
    merge_cmd = ablate::add_merge_command(app, merge);
    simulate_cmd = ablate::add_simulate_adaptive_command(app, simulate);
    lock_cmd = ablate::add_lock_command(app, lock);
    check_cmd = ablate::add_check_command(app, check);
    ablate::add_research_commands(app, research);
    profile.argv.assign(argv, argv + argc);
    profile_cmd = ablate::add_profile_command(app, profile);
    export_cmd = ablate::add_export_command(app, export_checkpoint);
    memory_cmd = ablate::add_memory_command(app, memory);
    list_cmd = app.add_subcommand("list", "Print the strategy table (name, values, tier, requires, conflicts).");
    list_cmd->add_option("--update", update_journal, "Rewrite the strategy table in this journal (EXPERIMENTS.md)");
  }

  int dispatch(CLI::App& app) {
    if (memory_cmd->parsed()) return ablate::run_memory_command(memory);
    if (generate_cmd->parsed()) return ablate::run_generate_command(generate);
    if (launch_cmd->parsed()) return ablate::run_launch_command(launch);
    if (run_cmd->parsed()) return ablate::run_run_command(run);
    if (simulate_cmd->parsed()) return ablate::run_simulate_adaptive_command(simulate);
    if (merge_cmd->parsed()) return ablate::run_merge_command(merge);
    if (lock_cmd->parsed()) return ablate::run_lock_command(lock);
    if (check_cmd->parsed()) return ablate::run_check_command(check);
    if (profile_cmd->parsed()) return ablate::run_profile_command(profile);
    if (export_cmd->parsed()) return ablate::run_export_command(export_checkpoint);
    if (list_cmd->parsed()) return main_parts::run_list_command(update_journal);
    if (const int rc = ablate::run_research_command(app, research); rc >= 0) return rc;
    return -1;
  }
};

}  // namespace main_parts

namespace ablate::cli {

int run_cli(int argc, char** argv, const std::string& version) {
  using main_parts::report_internal_error;
  ablate::set_invocation(argc, argv);
  CLI::App app{"ablate: benchmarking and autoresearch harness for causal, KV-cached video DiT inference"};
  app.require_subcommand(1);
  bool show_version = false;
  app.add_flag_callback("--version", [&] { show_version = true; },
                        "Print the commit (with -dirty for uncommitted changes at configure time), build type, "
                        "LibTorch and CUDA versions, and exit");
  app.fallthrough();  // --verbose also after the subcommand
  bool verbose = false;
  app.add_flag("--verbose", verbose, "On a failure, print LibTorch's full error text (with its backtrace)");
  bool no_preflight = false;
  app.add_flag("--no-preflight", no_preflight,
               "Skip the memory preflight (before the command: `ablate --no-preflight run ...`)");
  main_parts::Commands commands;
  commands.add(app, argc, argv);
  add_help_examples(app);
  // after the subcommands: they copy the parent's footer when they are added
  app.footer("Examples:\n"
             "  ablate generate --preset tiny\n"
             "  ablate run --matrix experiments/matrices/tiny-cpu.json --out out/m1\n"
             "  ablate report out/m1/ledger.jsonl --out out/m1-again\n"
             "  ablate profile --preset tiny --chunks 1-2 --trace trace.json\n"
             "  ablate <subcommand> --help");
  if (argc > 1 && !main_parts::known_subcommand(app, argv[1])) return 2;
  try {
    if (argc == 2 && std::string(argv[1]) == "--version") {  // alone: no subcommand required
      std::cout << version;
      return 0;
    }
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (show_version) {
    std::cout << version;
    return 0;
  }
  ablate::set_memory_preflight_enabled(!no_preflight);  // also when called again in one process
  try {
    if (const int rc = commands.dispatch(app); rc >= 0) return rc;
  } catch (const ablate::UsageError& e) {
    std::cerr << "ablate: error: " << e.what() << "\n";
    return 2;
  } catch (const c10::Error& e) {
    report_internal_error(e.what_without_backtrace(), e.what(), verbose);
    return 1;
  } catch (const std::exception& e) {
    report_internal_error(e.what(), e.what(), verbose);
    return 1;
  }
  return 0;
}

}  // namespace ablate::cli
