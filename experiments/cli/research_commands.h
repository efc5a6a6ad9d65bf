// The autoresearch commands: `ablate compare` (two ledgers, verdicts), `ablate search` (greedy
// stacking), `ablate analyze` (factorial effects of a matrix) and `ablate experiment` (a journal
// entry from a ledger), `ablate report` (a ledger's reports written again).
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace ablate {

struct ResearchOptions {
  // compare
  std::string ledger_a, ledger_b, aa_ledger, json_out;
  double noise_floor_ms = 0, rel = 0.01, abs_ms = 5.0;
  // search
  std::string matrix;                   // workload and repetitions come from this spec
  std::vector<std::string> candidates;  // name=value; default: every strategy's last value
  bool allow_tier_b = false, measure_noise_floor = false;
  bool halving = false;  // search: successive halving (research/search_session.h)
  bool resume = false;                  // reuse the measurements of --out's ledger (a search spanning calls)
  int max_evaluations = 0;
  double max_cv = 0.05;                 // a measurement with a larger CV is INVALID (never kept)
  double time_budget_s = 0;
  int64_t repetitions = -1;
  std::string out = "out/search";
  // analyze / experiment / report
  std::string ledger, journal, title, hypothesis, decision, extra;
  std::string report_out;               // report: folder for report.md, benchmark.json, report.html
};

void add_research_commands(CLI::App& app, ResearchOptions& o);
// Runs whichever of them was parsed; -1 when none was.
int run_research_command(CLI::App& app, const ResearchOptions& o);

}  // namespace ablate
