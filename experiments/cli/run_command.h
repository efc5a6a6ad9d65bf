// `ablate run` (an ablation matrix -> ledger + reports), `ablate lock` (write a baseline) and
// `ablate check` (the bit-identity gate against it).
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace ablate {

struct RunCommandOptions {
  std::string matrix;                // JSON spec; else the flags below build one
  std::string out = "out/matrix";    // folder: ledger.jsonl, report.md, benchmark.json, report.html
  bool resume = false;
  double time_budget_s = 0;          // start no engine group after this long; --resume continues
  int max_group_size = 0;            // at most this many combinations per engine (0: no limit)
  std::string partition;             // K/N, auto or auto/N: run job K's share (runner/partition.h)
  std::string devices;               // "0,1": one process per device (cli/device_processes.h)
  int gpus = 0;                      // N: --devices 0,...,N-1
  int nproc = 1;                     // with --devices: ranks per combination, the devices taken N at a time
  std::string device_slot;           // internal (a device process): K/N of the devices
  std::string device_label;          // internal: the device this process measures on
  std::vector<std::string> argv;     // the command line (a device process gets it back)
  std::string baseline;              // optional gate
  // a spec from flags
  std::string name = "cli";
  std::string preset = "tiny", device = "cpu", dtype, size;
  int64_t frames = 81, seed = 42;
  std::string mode;                  // default full; with --matrix only "aa" (its baseline twice)
  std::vector<std::string> axes;     // name=v1,v2
  std::vector<std::string> stack;    // name=value, in order
  int64_t warmup = -1, repetitions = -1;  // -1: the spec's
  int64_t order_seed = -1;
  bool adaptive = false;             // adaptive repetitions (runner/adaptive.h), up to the repetitions
  int64_t max_repetitions = -1;      // implies adaptive: the rule's maximum (sets the repetitions)
  std::string prompt_mode;
  bool no_sync_audit = false;
  int debug_perturb_rank = -1;       // test hook: this rank's final latents differ (a rank error)
};

struct CheckCommandOptions {
  std::string baseline;
  std::string matrix;                // default: the matrix the baseline was locked with
  std::string out;                   // optional folder for the check's ledger and report
  int debug_perturb_rank = -1;       // test hook, as for run
};

CLI::App* add_run_command(CLI::App& app, RunCommandOptions& o);
CLI::App* add_lock_command(CLI::App& app, CheckCommandOptions& o);
CLI::App* add_check_command(CLI::App& app, CheckCommandOptions& o);

int run_run_command(const RunCommandOptions& o);
int run_lock_command(const CheckCommandOptions& o);
// 0: every combination passed; 1: a tier-A mismatch, a tier-B bound exceeded or an error;
// kExitRebaseline: no entry for this machine's fingerprint.
constexpr int kExitRebaseline = 3;
int run_check_command(const CheckCommandOptions& o);

}  // namespace ablate
