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
#include "experiments/runner/combinations.h"
#include "experiments/stats/factorial.h"
#include "experiments/common/fingerprint.h"
#include "experiments/research/journal.h"
#include "experiments/runner/ledger.h"
#include "experiments/research/ledger_compare.h"
#include "experiments/report/markdown_report.h"
#include "experiments/common/number_text.h"
#include "experiments/common/output_folder.h"
#include "experiments/runner/rank_channel.h"
#include "experiments/report/report_files.h"
#include "experiments/common/run_environment.h"
#include "experiments/runner/runner.h"
#include "experiments/stats/search.h"
#include "optimizations/registry.h"

namespace ablate {
namespace fs = std::filesystem;

void add_research_commands(CLI::App& app, ResearchOptions& o) {
  auto* cmp = app.add_subcommand("compare", "Compare two ledgers per combination: medians, Mann-Whitney verdicts.");
  cmp->add_option("a", o.ledger_a, "Ledger A (the reference)")->required();
  cmp->add_option("b", o.ledger_b, "Ledger B (the candidate)")->required();
  cmp->add_option("--noise-floor-ms", o.noise_floor_ms, "A change must exceed this (from an A/A run)");
  cmp->add_option("--aa", o.aa_ledger, "Take the noise floor from this A/A ledger (ablate run --mode aa)");
  cmp->add_option("--rel", o.rel, "Relative threshold")->capture_default_str();
  cmp->add_option("--abs-ms", o.abs_ms, "Absolute threshold in ms")->capture_default_str();
  cmp->add_option("--json", o.json_out, "Also write the comparison as JSON");

  auto* search = app.add_subcommand("search", "Greedy search for the best stack: add the strategy with the largest "
                                              "significant gain each round until nothing helps.");
  search->add_option("--matrix", o.matrix, "Spec whose workload, warm-up and repetitions the search uses")->required();
  search->add_option("--candidate", o.candidates, "name=value to consider (repeatable; default: every strategy's last value)");
  search->add_flag("--allow-tier-b", o.allow_tier_b, "Admit tier-B strategies (within their bounds)");
  search->add_flag("--measure-noise-floor", o.measure_noise_floor, "Measure the baseline twice first (A/A)");
  search->add_option("--noise-floor-ms", o.noise_floor_ms, "Noise floor from an earlier A/A run");
  search->add_option("--max-evaluations", o.max_evaluations, "Budget: measurements, baseline included (0: none)");
  search->add_option("--time-budget-s", o.time_budget_s, "Budget: seconds (0: none)");
  search->add_option("--repetitions", o.repetitions, "Overrides the spec's repetitions");
  search->add_option("--max-cv", o.max_cv, "A measurement with a larger coefficient of variation is INVALID")
      ->capture_default_str();
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
  const auto a = read_ledger(o.ledger_a), b = read_ledger(o.ledger_b);
  stats::Thresholds t;
  t.rel = o.rel;
  t.abs_ms = o.abs_ms;
  t.noise_floor_ms = o.aa_ledger.empty() ? o.noise_floor_ms : aa_noise_floor(read_ledger(o.aa_ledger));
  const auto c = compare_ledgers(a, b, t);
  std::cout << compare_markdown(c, o.ledger_a, o.ledger_b);
  if (!o.json_out.empty()) write_file_atomically(o.json_out, c.dump(2) + "\n");
  return 0;
}

namespace {

// Ranks other than 0 in a search: run each matrix rank 0 sends, until it sends "".
int follow_search(const MatrixSpec& spec, const dist::WorldInfo& world) {
  for (;;) {
    const std::string next = broadcast_text(world, spec.workload, "");
    if (next.empty()) return 0;
    RunnerOptions ro;
    ro.audit_syncs = false;
    run_matrix(parse_matrix_spec(nlohmann::json::parse(next), "the search's next stack (from rank 0)"), ro);
  }
}

// Why a ledger record's measurement failed; "" when it ran.
std::string failure_of(const nlohmann::json& record) {
  if (record.value("status", "") == "ok") return "";
  return record.value("reason", std::string("no reason recorded"));
}

}  // namespace

int run_search(const ResearchOptions& o) {
  const dist::WorldInfo world_info = dist::launched_by_launcher() ? dist::world_from_env() : dist::WorldInfo{};
  if (!o.journal.empty() && world_info.rank == 0) check_journal(o.journal);
  MatrixSpec spec = load_matrix_spec(o.matrix);
  if (o.repetitions > 0) spec.repetitions = o.repetitions;
  const torch::Device device = parse_device(spec.workload.device);
  // rank 0 searches and writes every output; the other ranks run the matrices it sends
  if (world_info.rank != 0) return follow_search(spec, world_info);
  auto tell_ranks = [&](const std::string& text) {
    if (world_info.size > 1) broadcast_text(world_info, spec.workload, text);
  };
  const int world = world_info.size;
  opt::RunConfig where{{}, device, world};
  std::vector<std::pair<std::string, std::string>> cands;
  if (o.candidates.empty()) {
    for (const auto& n : opt::strategy_names()) {
      const auto info = opt::strategy_info(n);
      if (info.values.size() > 1 && n != "persistent") cands.emplace_back(n, info.values.back());
    }
  } else {
    for (const auto& c : o.candidates) cands.push_back(parse_assignment(c, "--candidate"));
  }
  prepare_output_folder(o.out, "--out");
  const std::string ledger = (fs::path(o.out) / "ledger.jsonl").string();
  ABLATE_USAGE_CHECK(o.resume || !fs::exists(ledger), "--out ", o.out, ": ", ledger,
                     " exists; choose another --out, or pass --resume to reuse its measurements");
  // measurements of an earlier (interrupted or budget-limited) search, per combination in ledger order
  std::map<std::string, std::deque<nlohmann::json>> earlier;
  if (o.resume && fs::exists(ledger)) {
    const std::string key = fingerprint_key(run_fingerprint(spec));
    for (const auto& r : read_ledger(ledger)) {
      if (r.value("status", "") != "ok") continue;
      ABLATE_USAGE_CHECK(r.value("fingerprint_key", "") == key, ledger, ": field fingerprint_key is '",
                         r.value("fingerprint_key", ""), "' but this search's workload and machine give '", key,
                         "'; resume only the same search on the same machine, or choose another --out");
      ABLATE_USAGE_CHECK(r.value("repetitions", int64_t{-1}) == spec.repetitions, ledger, ": field repetitions is ",
                         r.value("repetitions", int64_t{-1}), " but this search measures ", spec.repetitions,
                         "; pass the same --repetitions");
      earlier[r["combination"].get<std::string>()].push_back(r);
    }
    // measurements of other code are still this machine's and workload's; say so, don't refuse
    const std::string commit = git_json().value("commit", "");
    std::set<std::string> others;
    for (const auto& [id, records] : earlier)
      for (const auto& r : records) {
        const std::string c = r.contains("environment") && r["environment"].contains("git")
                                  ? r["environment"]["git"].value("commit", "") : "";
        if (c != commit) others.insert(c.empty() ? "unknown" : c);
      }
    if (!others.empty())
      std::cerr << "search: warning: " << ledger << " holds measurements of commit(s) " << c10::Join(", ", others)
                << "; this is " << (commit.empty() ? "unknown" : commit) << "\n";
  }
  auto values_of = [&](const std::vector<std::string>& stack) {
    std::map<std::string, std::string> v;
    for (const auto& s : stack) v[s.substr(0, s.find('='))] = s.substr(s.find('=') + 1);
    return v;
  };
  std::vector<stats::Candidate> candidates;
  for (const auto& [n, v] : cands) {
    const std::string name = n + "=" + v;
    const auto tier = opt::strategy_info(n).tier == opt::Tier::kA ? stats::Tier::kA : stats::Tier::kB;
    candidates.emplace_back(name, tier, [&, name](const std::vector<std::string>& stack) {
      auto s = stack;
      s.push_back(name);
      return make_combination(values_of(s), where).skip_reason;
    });
  }
  std::string base_md5;
  nlohmann::json last;
  int evaluation = 0;
  stats::Evaluate evaluate = [&](const std::vector<std::string>& stack) {
    const auto values = values_of(stack);
    const uint64_t order_seed = spec.order_seed + static_cast<uint64_t>(evaluation++);
    const std::string label = stack.empty() ? "baseline" : c10::Join(", ", stack);
    auto reused = earlier.find(combination_id(values));
    if (reused != earlier.end() && !reused->second.empty()) {
      last = reused->second.front();
      reused->second.pop_front();
      std::cerr << "search: [" << label << "] reused from " << ledger << "\n";
    } else {
      MatrixSpec one = spec;
      one.mode = MatrixMode::kList;
      one.combinations = {values};
      one.order_seed = order_seed;
      RunnerOptions ro;
      ro.ledger_path = ledger;
      ro.append = true;
      ro.audit_syncs = false;
      tell_ranks(one.to_json().dump());
      auto r = run_matrix(one, ro);
      TORCH_CHECK(!r.records.empty(), "search: measuring [", label, "] wrote no record");
      last = r.records.back();
    }
    if (!failure_of(last).empty()) {
      // one failing stack (an error in generate()) is an INVALID evaluation, not the end of the search
      std::cerr << "search: [" << label << "] failed: " << failure_of(last) << "\n";
      return std::vector<double>{};
    }
    if (stack.empty() && base_md5.empty()) base_md5 = last.value("md5", "");
    return last["samples_ms"].get<std::vector<double>>();
  };
  stats::SearchOptions so;
  so.allow_tier_b = o.allow_tier_b;
  so.measure_noise_floor = o.measure_noise_floor;
  so.thresholds.noise_floor_ms = o.noise_floor_ms;
  so.max_evaluations = o.max_evaluations;
  so.limits.max_cv = o.max_cv;
  so.time_budget_s = o.time_budget_s;
  const auto t0 = std::chrono::steady_clock::now();
  so.clock = [t0] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  so.result_flags = [&](const std::vector<std::string>&) {
    stats::ResultFlags f;
    // tier A must keep the baseline's output; tier B is admitted only within its bound
    f.failure = failure_of(last);
    if (!f.failure.empty()) return f;
    f.md5_gate_failed = !base_md5.empty() && last.value("tier", "A") == "A" && last.value("md5", "") != base_md5;
    return f;
  };
  const auto result = stats::greedy_search(candidates, evaluate, so);
  tell_ranks("");  // done: the other ranks return
  std::ostringstream md;
  md << "Search over " << candidates.size() << " candidates, stopped: " << stats::stop_reason_name(result.stop)
     << ", noise floor " << fixed_text(result.noise_floor_ms) << " ms, " << result.evaluations.size() << " measurements.\n\n"
     << stats::chain_table_markdown(result.chain);
  if (!result.skipped.empty()) {
    md << "\nSkipped:";
    for (const auto& s : result.skipped) md << " " << s.name << " (round " << s.round << ": " << s.reason << ");";
    md << "\n";
  }
  md << "\n| round | stack | added | median ms | verdict vs best |\n|---|---|---|---:|---|\n";
  for (const auto& e : result.evaluations)
    md << "| " << e.round << " | " << (e.stack.empty() ? "baseline" : c10::Join("+", e.stack)) << " | "
       << (e.added.empty() ? "-" : e.added) << " | "
       << (e.samples.empty() ? std::string("-") : fixed_text(e.median_ms)) << " | "
       << (e.validity.status == stats::Validity::kInvalid ? "INVALID: " + markdown_cell(c10::Join("; ", e.validity.reasons))
           : e.round == 0                                   ? std::string("-")
                                                            : std::string(stats::verdict_name(e.vs_best.verdict)))
       << " |\n";
  write_file_atomically((fs::path(o.out) / "search.md").string(), md.str());
  nlohmann::json j{{"best_stack", result.best_stack}, {"stop", stats::stop_reason_name(result.stop)},
                   {"noise_floor_ms", result.noise_floor_ms}};
  for (const auto& r : result.chain)
    j["chain"].push_back({{"stage", r.stage}, {"median_ms", r.median_ms}, {"vs_unoptimized", r.vs_unoptimized},
                          {"vs_prior", r.vs_prior}, {"verdict", stats::verdict_name(r.verdict)}, {"p", r.p_value}});
  write_file_atomically((fs::path(o.out) / "search.json").string(), j.dump(2) + "\n");
  std::cout << md.str();
  if (!o.journal.empty()) {
    JournalEntry e;
    e.title = "search at " + spec.workload.preset + " on " + spec.workload.device;
    e.hypothesis = o.hypothesis.empty() ? "greedy stacking finds the fastest tier-A stack" : o.hypothesis;
    e.decision = "keep";
    e.ledger_path = ledger;
    e.records = read_ledger(ledger);
    e.extra_markdown = md.str();
    std::cout << "journal: E" << append_journal_entry(o.journal, e) << " appended to " << o.journal << "\n";
  }
  return 0;
}

int run_analyze(const ResearchOptions& o) {
  if (!o.journal.empty()) check_journal(o.journal);
  const auto records = read_ledger(o.ledger);
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  for (const auto& r : records)
    if (r.contains("spec") && r["spec"].contains("axes") && axes.empty())
      for (const auto& [n, v] : r["spec"]["axes"].items()) axes.emplace_back(n, v.get<std::vector<std::string>>());
  ABLATE_USAGE_CHECK(!axes.empty(), o.ledger, ": no axes recorded; analyze takes the ledger of a full or factorial matrix");
  std::vector<std::string> names;
  for (const auto& [n, v] : axes) {
    ABLATE_USAGE_CHECK(v.size() == 2, o.ledger, ": axis ", n, " has ", v.size(), " levels; the analysis needs two");
    names.push_back(n);
  }
  std::vector<stats::FactorialRun> runs;
  for (const auto& r : records) {
    if (r.value("status", "") != "ok") continue;
    stats::FactorialRun run;
    for (const auto& [n, v] : axes) {
      const std::string value = r["strategies"].value(n, opt::strategy_info(n).values.front());
      run.levels.push_back(value == v[1]);
    }
    run.samples = r["samples_ms"].get<std::vector<double>>();
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
    e.title = "factorial analysis of " + records.front().value("matrix", std::string("a matrix"));
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
  e.records = read_ledger(o.ledger);
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
  const auto records = read_ledger(o.ledger);
  ABLATE_USAGE_CHECK(!records.empty(), o.ledger, ": the ledger holds no records");
  prepare_output_folder(o.report_out, "--out");
  write_reports(records, records.front().value("matrix", std::string("matrix")), o.report_out);
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
