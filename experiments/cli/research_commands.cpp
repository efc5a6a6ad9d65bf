#include "experiments/cli/research_commands.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <fstream>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "core/dist/world.h"
#include "core/error.h"
#include "experiments/cli/pipeline_setup.h"
#include "experiments/runner/combinations.h"
#include "experiments/stats/factorial.h"
#include "experiments/common/fingerprint.h"
#include "experiments/gate/gate.h"
#include "experiments/runner/assignment.h"
#include "experiments/research/journal.h"
#include "experiments/runner/ledger.h"
#include "experiments/research/ledger_compare.h"
#include "experiments/report/markdown_report.h"
#include "experiments/common/number_text.h"
#include "experiments/common/output_folder.h"
#include "experiments/report/report_files.h"
#include "experiments/common/run_environment.h"
#include "experiments/runner/runner.h"
#include "experiments/research/search_session.h"
#include "optimizations/registry.h"

namespace ablate {
namespace fs = std::filesystem;

void add_research_commands(CLI::App& app, ResearchOptions& o) {
  auto* cmp = app.add_subcommand("compare", "Compare two ledgers per combination: medians, Mann-Whitney verdicts.");
  cmp->add_option("a", o.ledger_a, "Ledger A (the reference)")->required();
  cmp->add_option("b", o.ledger_b, "Ledger B (the candidate)")->required();
  cmp->add_option("--noise-floor-ms", o.noise_floor_ms, "A change must exceed this (from an A/A run)")
      ->check(number_in(0, 1e9));
  cmp->add_option("--aa", o.aa_ledger, "Take the noise floor from this A/A ledger (ablate run --mode aa)");
  cmp->add_option("--rel", o.rel, "Relative threshold")->capture_default_str()->check(number_in(0, 100));
  cmp->add_option("--abs-ms", o.abs_ms, "Absolute threshold in ms")->capture_default_str()->check(number_in(0, 1e9));
  cmp->add_option("--json", o.json_out, "Also write the comparison as JSON");

  auto* search = app.add_subcommand("search", "Greedy search for the best stack: add the strategy with the largest "
                                              "significant gain each round until nothing helps.");
  search->add_option("--matrix", o.matrix, "Spec whose workload, warm-up and repetitions the search uses")->required();
  search->add_option("--candidate", o.candidates, "name=value to consider (repeatable; default: every strategy's last value)");
  search->add_flag("--allow-tier-b", o.allow_tier_b, "Admit tier-B strategies (within their bounds); search.md and "
                                                     "the journal get the speed/quality Pareto front");
  search->add_flag("--halving", o.halving, "Successive halving: every candidate measured with few repetitions, those "
                                           "clearly not better dropped, the rest measured up to the spec's repetitions "
                                           "(>= 5); every round in search.md and the journal");
  search->add_flag("--measure-noise-floor", o.measure_noise_floor, "Measure the baseline twice first (A/A)");
  search->add_option("--noise-floor-ms", o.noise_floor_ms, "Noise floor from an earlier A/A run")
      ->check(number_in(0, 1e9));
  search->add_option("--max-evaluations", o.max_evaluations,
                     "Budget: measurements, baseline included (0: none; not with --halving)")
      ->check(integer_in(0, 1000000));
  search->add_option("--time-budget-s", o.time_budget_s,
                     "Budget: seconds (0: none); with --halving, no greedy step starts after it (the one running "
                     "finishes; --resume continues from the ledger)")
      ->check(number_in(0, 1e9));
  search->add_option("--repetitions", o.repetitions, "Overrides the spec's repetitions")->check(integer_in(1, 10000));
  search->add_option("--max-cv", o.max_cv, "A measurement with a larger coefficient of variation is INVALID")
      ->capture_default_str()
      ->check(number_in(1e-9, 10));
  search->add_option("--out", o.out, "Folder: ledger.jsonl, search.md, search.json")->capture_default_str();
  search->add_flag("--resume", o.resume, "Reuse the measurements already in --out's ledger (same workload), in order; "
                                         "they count towards --max-evaluations but take no time");
  search->add_option("--journal", o.journal, "Append the search as an entry to this journal (EXPERIMENTS.md)");
  search->add_option("--hypothesis", o.hypothesis, "The journal entry's hypothesis");

  auto* analyze = app.add_subcommand("analyze", "Factorial analysis of a two-level matrix ledger: main effects and "
                                                "pairwise interactions with bootstrap CIs.");
  analyze->add_option("ledger", o.ledger, "Ledger of a full or factorial matrix with two-level axes")->required();
  analyze->add_option("--journal", o.journal, "Append the analysis as an entry to this journal");
  analyze->add_option("--hypothesis", o.hypothesis, "The journal entry's hypothesis");

  auto* exp = app.add_subcommand("experiment", "Append a journal entry E<n> built from a ledger.");
  exp->add_option("--ledger", o.ledger, "The run's ledger")->required();
  exp->add_option("--journal", o.journal, "Journal file")->capture_default_str();
  exp->add_option("--title", o.title, "One line")->required();
  exp->add_option("--hypothesis", o.hypothesis, "What was expected and why")->required();
  exp->add_option("--decision", o.decision, "keep | discard | invalid | crash")->required();
  exp->add_option("--extra", o.extra, "A Markdown file to include (e.g. a search's chain table)");

  auto* report = app.add_subcommand("report", "Write a ledger's reports (report.md, benchmark.json, report.html) "
                                              "again, e.g. a ledger assembled over several calls.");
  report->add_option("ledger", o.ledger, "The ledger (JSONL)")->required();
  report->add_option("--out", o.report_out, "Folder for the reports")->required();
}

namespace {

int run_compare(const ResearchOptions& o) {
  const auto a = read_nonempty_ledger(o.ledger_a, "compare"), b = read_nonempty_ledger(o.ledger_b, "compare");
  stats::Thresholds t;
  t.rel = o.rel;
  t.abs_ms = o.abs_ms;
  t.noise_floor_ms = o.noise_floor_ms;
  if (!o.aa_ledger.empty()) {
    const auto aa = read_nonempty_ledger(o.aa_ledger, "compare --aa");
    try {
      t.noise_floor_ms = aa_noise_floor(aa);
    } catch (const UsageError& e) {
      throw UsageError("--aa " + o.aa_ledger + ": " + e.what());
    }
  }
  const auto c = compare_ledgers(a, b, t);
  ABLATE_USAGE_CHECK(!c["rows"].empty(), o.ledger_a, " and ", o.ledger_b, ": no combination has a finished measurement ",
                     "in both ledgers (only in A: ", c["only_in_a"].size(), ", only in B: ", c["only_in_b"].size(),
                     "); nothing to compare");
  std::cout << compare_markdown(c, o.ledger_a, o.ledger_b);
  if (!o.json_out.empty()) write_file_atomically(o.json_out, c.dump(2) + "\n");
  return 0;
}

int run_search(const ResearchOptions& o) {
  SearchSessionOptions so;
  so.matrix = o.matrix;
  so.candidates = o.candidates;
  so.allow_tier_b = o.allow_tier_b;
  so.halving = o.halving;
  so.measure_noise_floor = o.measure_noise_floor;
  so.resume = o.resume;
  so.max_evaluations = o.max_evaluations;
  so.max_cv = o.max_cv;
  so.noise_floor_ms = o.noise_floor_ms;
  so.time_budget_s = o.time_budget_s;
  so.repetitions = o.repetitions;
  so.out = o.out;
  so.journal = o.journal;
  so.hypothesis = o.hypothesis;
  return run_search_session(so);
}

int run_analyze(const ResearchOptions& o) {
  if (!o.journal.empty()) check_journal(o.journal);
  const auto records = read_nonempty_ledger(o.ledger, "analyze");
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  for (const auto& r : records)
    if (r.spec.contains("axes") && r.spec["axes"].is_object() && axes.empty())
      for (const auto& [n, v] : r.spec["axes"].items()) axes.emplace_back(n, v.get<std::vector<std::string>>());
  ABLATE_USAGE_CHECK(!axes.empty(), o.ledger, ": no axes recorded; analyze takes the ledger of a full or factorial matrix");
  std::vector<std::string> names;
  for (const auto& [n, v] : axes) {
    ABLATE_USAGE_CHECK(v.size() == 2, o.ledger, ": axis ", n, " has ", v.size(), " levels; the analysis needs two");
    names.push_back(n);
  }
  std::vector<stats::FactorialRun> runs;
  for (const auto& r : records) {
    if (!r.ok()) continue;
    stats::FactorialRun run;
    for (const auto& [n, v] : axes) {
      auto it = r.strategies.find(n);
      const std::string value = it != r.strategies.end() ? it->second : opt::strategy_info(n).values.front();
      run.levels.push_back(value == v[1]);
    }
    run.samples = r.samples_ms;
    runs.push_back(run);
  }
  const auto a = stats::analyze_factorial(runs, names);
  std::ostringstream md;
  md << "Factorial analysis of " << runs.size() << " runs (" << names.size()
     << " two-level factors); effect = mean(ms | on) - mean(ms | off), negative = faster; 95% bootstrap CI.\n\n"
     << "| effect | estimate ms | 95% CI | significant | aliases |\n|---|---:|---|---|---|\n";
  auto row = [&](const stats::Effect& e) {
    const bool sig = e.ci.lo > 0 || e.ci.hi < 0;
    md << "| " << e.name << " | " << fixed_text(e.estimate) << " | [" << fixed_text(e.ci.lo) << ", " << fixed_text(e.ci.hi) << "] | "
       << (sig ? "yes" : "no") << " | " << (e.aliases.empty() ? "-" : c10::Join(", ", e.aliases)) << " |\n";
  };
  for (const auto& e : a.main_effects) row(e);
  for (const auto& e : a.interactions) row(e);
  std::cout << md.str();
  if (!o.journal.empty()) {
    JournalEntry e;
    e.title = "factorial analysis of " + (records.front().matrix.empty() ? std::string("a matrix") : records.front().matrix);
    e.hypothesis = o.hypothesis.empty() ? "main effects and pairwise interactions of the strategies" : o.hypothesis;
    e.decision = "keep";
    e.ledger_path = o.ledger;
    e.records = records;
    e.extra_markdown = md.str();
    std::cout << "journal: E" << append_journal_entry(o.journal, e) << " appended to " << o.journal << "\n";
  }
  return 0;
}

int run_experiment(const ResearchOptions& o) {
  ABLATE_USAGE_CHECK(std::find(journal_decisions().begin(), journal_decisions().end(), o.decision) != journal_decisions().end(),
                     "--decision: unknown decision '", o.decision, "'; valid decisions: keep, discard, invalid, crash");
  JournalEntry e;
  e.title = o.title;
  e.hypothesis = o.hypothesis;
  e.decision = o.decision;
  e.ledger_path = o.ledger;
  e.records = read_nonempty_ledger(o.ledger, "experiment");
  if (!o.extra.empty()) {
    std::ifstream f(o.extra);
    ABLATE_USAGE_CHECK(f.good(), "--extra ", o.extra, ": cannot read the file");
    std::stringstream ss;
    ss << f.rdbuf();
    e.extra_markdown = ss.str();
  }
  const std::string journal = o.journal.empty() ? "EXPERIMENTS.md" : o.journal;
  std::cout << "E" << append_journal_entry(journal, e) << " appended to " << journal << "\n";
  return 0;
}

int run_report(const ResearchOptions& o) {
  const auto records = read_nonempty_ledger(o.ledger, "report");
  prepare_output_folder(o.report_out, "--out");
  // the thumbnails a run wrote beside its ledger
  const std::string ledger_dir = fs::path(o.ledger).parent_path().string();
  write_reports(records, records.front().matrix.empty() ? std::string("matrix") : records.front().matrix, o.report_out,
                ledger_dir.empty() ? "." : ledger_dir);
  std::cout << matrix_table(records) << "\nwrote " << o.report_out << "/{report.md,benchmark.json,report.html}\n";
  return 0;
}

}  // namespace

int run_research_command(CLI::App& app, const ResearchOptions& o) {
  if (app.got_subcommand("compare")) return run_compare(o);
  if (app.got_subcommand("search")) return run_search(o);
  if (app.got_subcommand("analyze")) return run_analyze(o);
  if (app.got_subcommand("experiment")) return run_experiment(o);
  if (app.got_subcommand("report")) return run_report(o);
  return -1;
}

}  // namespace ablate
