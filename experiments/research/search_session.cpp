#include "experiments/research/search_session.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "core/error.h"
#include "experiments/common/fingerprint.h"
#include "experiments/common/number_text.h"
#include "experiments/common/output_folder.h"
#include "experiments/common/run_environment.h"
#include "experiments/gate/gate.h"
#include "experiments/report/markdown_report.h"
#include "experiments/research/journal.h"
#include "experiments/research/search_rounds.h"
#include "experiments/runner/assignment.h"
#include "experiments/runner/baseline_lock.h"
#include "experiments/runner/combinations.h"
#include "experiments/runner/engine.h"
#include "experiments/runner/ledger.h"
#include "experiments/runner/rank_channel.h"
#include "experiments/runner/runner.h"
#include "optimizations/registry.h"

namespace ablate {
namespace {
namespace fs = std::filesystem;

// Why a ledger record's measurement failed; "" when it ran.
std::string failure_of(const LedgerRecord& record) {
  if (record.ok()) return "";
  return record.reason.empty() ? std::string("no reason recorded") : record.reason;
}

// A stack entry is one setting "name=value", or a bundle "a=x,b=y" (a candidate with the strategies
// it requires, added in one step).
StrategyValues values_of(const std::vector<std::string>& stack) {
  StrategyValues v;
  for (const auto& entry : stack) {
    std::istringstream settings(entry);
    for (std::string s; std::getline(settings, s, ',');) v[s.substr(0, s.find('='))] = s.substr(s.find('=') + 1);
  }
  return v;
}

// Ranks other than 0: run each matrix rank 0 sends, until it sends "".
int follow_search(const MatrixSpec& spec, const dist::WorldInfo& world) {
  for (;;) {
    const std::string next = broadcast_text(world, spec.workload, "");
    if (next.empty()) return 0;
    RunnerOptions ro;
    ro.audit_syncs = false;
    run_matrix(parse_matrix_spec(nlohmann::json::parse(next), "the search's next stack (from rank 0)"), ro);
  }
}

class SearchSession {
 public:
  SearchSession(const SearchSessionOptions& o, MatrixSpec spec, dist::WorldInfo world)
      : o_(o),
        spec_(std::move(spec)),
        world_(world),
        ledger_((fs::path(o.out) / "ledger.jsonl").string()) {
    where_.device = parse_device(spec_.workload.device);
    where_.world_size = world_.size;
  }

  int run() {
    const auto candidates = make_candidates();
    prepare_output_folder(o_.out, "--out");
    ABLATE_USAGE_CHECK(o_.resume || !fs::exists(ledger_), "--out ", o_.out, ": ", ledger_,
                       " exists; choose another --out, or pass --resume to reuse its measurements");
    if (o_.resume && fs::exists(ledger_)) load_earlier();
    if (o_.allow_tier_b) prepare_tier_b_reference();
    if (o_.halving) {
      const auto result = stats::halving_search(
          candidates, [this](const auto& stack, int n) { return evaluate(stack, n); }, halving_options());
      tell_ranks("");
      write_halving_outputs(result, candidates.size());
      return 0;
    }
    const auto result = stats::greedy_search(candidates, [this](const auto& stack) { return evaluate(stack); }, options());
    tell_ranks("");  // done: the other ranks return
    write_outputs(result, candidates.size());
    return 0;
  }

 private:
  std::vector<stats::Candidate> make_candidates() {
    std::vector<std::pair<std::string, std::string>> settings;
    if (o_.candidates.empty()) {
      for (const auto& n : opt::strategy_names()) {
        const auto info = opt::strategy_info(n);
        if (info.values.size() > 1 && info.searchable) settings.emplace_back(n, info.values.back());
      }
    } else {
      for (const auto& c : o_.candidates) settings.push_back(parse_assignment(c, "--candidate"));
    }
    std::vector<stats::Candidate> out;
    const std::map<std::string, std::string> offered(settings.begin(), settings.end());
    for (const auto& [n, v] : settings) {
      const std::string name = n + "=" + v;
      const auto info = opt::strategy_info(n);
      const auto tier = info.tier == opt::Tier::kA ? stats::Tier::kA : stats::Tier::kB;
      out.emplace_back(name, tier, [this, name, n = n, v = v](const std::vector<std::string>& stack) {
        const auto now = values_of(stack);
        if (now.count(n) && now.at(n) == v) return std::string("in the stack already");
        return skip_reason_with(stack, name);
      });
      // A candidate that requires other candidates also comes as one bundle with them, so that it is
      // tried even when none of them wins a round alone (cuda_graph needs sync_elim).
      std::vector<std::string> bundle;
      bool bundle_tier_b = tier == stats::Tier::kB;
      for (const auto& r : info.requires_on) {
        if (!offered.count(r)) break;
        bundle.push_back(r + "=" + offered.at(r));
        bundle_tier_b = bundle_tier_b || opt::strategy_info(r).tier == opt::Tier::kB;
      }
      if (info.requires_on.empty() || bundle.size() != info.requires_on.size()) continue;
      bundle.push_back(name);
      const std::string bundle_name = c10::Join(",", bundle);
      out.emplace_back(bundle_name, bundle_tier_b ? stats::Tier::kB : stats::Tier::kA,
                       [this, bundle_name, name, required = info.requires_on](const std::vector<std::string>& stack) {
                         const auto now = values_of(stack);
                         if (std::all_of(required.begin(), required.end(), [&](const std::string& r) { return now.count(r) > 0; }))
                           return "its requirements are in the stack: " + name + " alone covers it";
                         return skip_reason_with(stack, bundle_name);
                       });
    }
    return out;
  }

  // Why `entry` (a setting or a bundle) cannot join `stack`; "" when it can.
  std::string skip_reason_with(std::vector<std::string> stack, const std::string& entry) const {
    stack.push_back(entry);
    return make_combination(values_of(stack), where_).skip_reason;
  }

  // Measurements of an earlier (interrupted or budget-limited) search, per combination in ledger order.
  void load_earlier() {
    const std::string key = fingerprint_key(run_fingerprint(spec_));
    for (const auto& r : read_ledger(ledger_)) {
      if (!r.ok()) continue;
      ABLATE_USAGE_CHECK(r.fingerprint_key == key, ledger_, ": field fingerprint_key is '", r.fingerprint_key,
                         "' but this search's workload and machine give '", key,
                         "'; resume only the same search on the same machine, or choose another --out");
      // a halving look measures fewer samples than the protocol's; no record measures more
      ABLATE_USAGE_CHECK(o_.halving ? r.repetitions <= spec_.repetitions : r.repetitions == spec_.repetitions, ledger_,
                         ": field repetitions is ", r.repetitions, " but this search measures ",
                         o_.halving ? "at most " : "", spec_.repetitions, "; pass the same --repetitions");
      if (r.tier == "B" && r.gate.md5_ok && !*r.gate.md5_ok && !r.gate.bound) {
        // judged without the baseline's outputs (a search before the lock): no verdict
        std::cerr << "search: [" << r.combination << "] in " << ledger_ << " was judged without the baseline's "
                  << "outputs (no distance for the tier-B gate); it is measured again\n";
        continue;
      }
      earlier_[r.combination].push_back(r);
    }
    // measurements of other code are still this machine's and workload's; say so, don't refuse
    const std::string commit = git_json().value("commit", "");
    std::set<std::string> others;
    for (const auto& [id, records] : earlier_)
      for (const auto& r : records) {
        const std::string c = r.environment.contains("git") ? r.environment["git"].value("commit", "") : "";
        if (c != commit) others.insert(c.empty() ? "unknown" : c);
      }
    if (!others.empty())
      std::cerr << "search: warning: " << ledger_ << " holds measurements of commit(s) " << c10::Join(", ", others)
                << "; this is " << (commit.empty() ? "unknown" : commit) << "\n";
  }

  // Tier-B stacks are judged by their distance to the baseline's outputs (video, final latents).
  // The runner locks them beside the ledger when it measures the baseline (ledger_baseline_path) and
  // reads them on every later append; a resumed ledger without that lock (an older search's, or one
  // whose lock stayed on another machine) gets it now, on every rank, by running the baseline once
  // per request.
  void prepare_tier_b_reference() {
    std::string why;
    if (read_ledger_lock(ledger_, fingerprint_key(run_fingerprint(spec_)), why).set()) return;
    const auto measured = earlier_.find(combination_id({}));
    if (measured == earlier_.end() || measured->second.empty()) return;  // the baseline's evaluation locks it
    std::cerr << "search: " << ledger_ << " holds the baseline's MD5s only (" << why << "); running it once per "
              << "request to lock its video and latents for the tier-B gate (" << ledger_baseline_path(ledger_) << ")\n";
    tell_ranks(baseline_outputs_spec(spec_).to_json().dump());
    const RunnerResult result = run_baseline_outputs(spec_);
    if (world_.rank == 0) lock_beside_ledger(ledger_, spec_, result.fingerprint, baseline_outputs_of(result, ""));
  }

  void tell_ranks(const std::string& text) {
    if (world_.size > 1) broadcast_text(world_, spec_.workload, text);
  }

  // One stack: reused from the resumed ledger, or measured as a one-combination matrix appended to it.
  std::vector<double> evaluate(const std::vector<std::string>& stack, int repetitions = 0) {
    const auto values = values_of(stack);
    const std::string label = stack.empty() ? "baseline" : c10::Join(", ", stack);
    // the stack's next earlier measurement of as many samples (a resumed search asks for the same
    // measurements in the same order: its decisions depend only on them)
    const int64_t wanted = repetitions > 0 ? repetitions : spec_.repetitions;
    auto& earlier = earlier_[combination_id(values)];
    const auto reused = std::find_if(earlier.begin(), earlier.end(), [&](const LedgerRecord& r) { return r.repetitions == wanted; });
    if (reused != earlier.end()) {
      last_ = *reused;
      earlier.erase(reused);
      std::cerr << "search: [" << label << "] reused from " << ledger_ << "\n";
    } else {
      MatrixSpec one = spec_;
      one.mode = MatrixMode::kList;
      one.combinations = {values};
      one.order_seed = spec_.order_seed + static_cast<uint64_t>(evaluations_);
      if (repetitions > 0) one.repetitions = repetitions;  // halving: this round's new samples
      RunnerOptions ro;
      ro.ledger_path = ledger_;
      ro.append = true;
      ro.audit_syncs = false;
      // tier-B stacks: the runner locks the baseline's outputs beside the ledger and gates against them
      ro.ledger_lock = o_.allow_tier_b ? RunnerOptions::LedgerLock::kAlways : RunnerOptions::LedgerLock::kNever;
      tell_ranks(one.to_json().dump());
      auto r = run_matrix(one, ro);
      TORCH_CHECK(!r.records.empty(), "search: measuring [", label, "] wrote no record");
      last_ = r.records.back();
    }
    ++evaluations_;
    if (!failure_of(last_).empty()) {
      // one failing stack (an error in generate()) is an INVALID evaluation, not the end of the search
      std::cerr << "search: [" << label << "] failed: " << failure_of(last_) << "\n";
      return {};
    }
    return last_.samples_ms;
  }

  stats::SearchOptions options() {
    stats::SearchOptions so;
    so.allow_tier_b = o_.allow_tier_b;
    so.measure_noise_floor = o_.measure_noise_floor;
    so.thresholds.noise_floor_ms = o_.noise_floor_ms;
    so.max_evaluations = o_.max_evaluations;
    so.limits.max_cv = o_.max_cv;
    so.time_budget_s = o_.time_budget_s;
    const auto t0 = std::chrono::steady_clock::now();
    so.clock = [t0] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    so.result_flags = [this](const std::vector<std::string>&) {
      stats::ResultFlags f;  // the gate's rule: tier A keeps the output, tier B stays within its bound
      f.failure = failure_of(last_);
      if (f.failure.empty()) f.md5_gate_failed = !gate_verdict(last_.tier, last_.gate).pass;
      return f;
    };
    return so;
  }

  stats::HalvingSearchOptions halving_options() {
    stats::HalvingSearchOptions ho;
    ho.allow_tier_b = o_.allow_tier_b;
    ho.time_budget_s = o_.time_budget_s;
    const auto t0 = std::chrono::steady_clock::now();
    ho.clock = [t0] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    auto& h = ho.halving;
    h.thresholds.noise_floor_ms = o_.noise_floor_ms;
    h.limits.max_cv = o_.max_cv;
    h.rule.max_repetitions = static_cast<int>(spec_.repetitions);
    h.rule.min_repetitions = std::min(h.rule.min_repetitions, h.rule.max_repetitions);
    h.rule.look_step = h.rule.min_repetitions;
    h.result_flags = options().result_flags;
    return ho;
  }

  // The speed/quality front of everything this search measured (tier B allowed), with the bounds.
  std::string pareto_section(nlohmann::json& j) {
    if (!o_.allow_tier_b) return "";
    const auto stacks = pareto_stacks(read_ledger(ledger_), o_.noise_floor_ms, spec_.order_seed);
    j["pareto_front"] = pareto_json(stacks);
    return stacks.empty() ? "" : pareto_markdown(stacks);
  }

  void write_halving_outputs(const stats::HalvingSearchResult& result, size_t candidates) {
    std::ostringstream md;
    md << "Search by successive halving over " << candidates << " candidates, stopped: "
       << stats::stop_reason_name(result.stop) << ", " << result.steps.size() << " step(s).\n\n"
       << stats::chain_table_markdown(result.chain) << halving_rounds_markdown(result);
    nlohmann::json j{{"best_stack", result.best_stack}, {"stop", stats::stop_reason_name(result.stop)},
                     {"halving", halving_rounds_json(result)}};
    for (const auto& r : result.chain)
      j["chain"].push_back({{"stage", r.stage}, {"median_ms", r.median_ms}, {"vs_unoptimized", r.vs_unoptimized},
                            {"vs_prior", r.vs_prior}, {"verdict", stats::verdict_name(r.verdict)}, {"p", r.p_value}});
    md << pareto_section(j);
    finish_outputs(md.str(), j, "greedy stacking by successive halving finds the fastest stack with fewer runs");
  }

  // search.md, search.json and the journal entry.
  void finish_outputs(const std::string& md, const nlohmann::json& j, const std::string& hypothesis) {
    write_file_atomically((fs::path(o_.out) / "search.md").string(), md);
    write_file_atomically((fs::path(o_.out) / "search.json").string(), j.dump(2) + "\n");
    std::cout << md;
    if (o_.journal.empty()) return;
    JournalEntry e;
    e.title = "search at " + spec_.workload.preset + " on " + spec_.workload.device;
    e.hypothesis = o_.hypothesis.empty() ? hypothesis : o_.hypothesis;
    e.decision = "keep";
    e.ledger_path = ledger_;
    e.records = read_ledger(ledger_);
    e.extra_markdown = md;
    std::cout << "journal: E" << append_journal_entry(o_.journal, e) << " appended to " << o_.journal << "\n";
  }

  static std::string evaluations_table(const stats::SearchResult& result) {
    std::ostringstream md;
    md << "\n| round | stack | added | median ms | verdict vs best |\n|---|---|---|---:|---|\n";
    for (const auto& e : result.evaluations)
      md << "| " << e.round << " | " << (e.stack.empty() ? "baseline" : c10::Join("+", e.stack)) << " | "
         << (e.added.empty() ? "-" : e.added) << " | " << (e.samples.empty() ? std::string("-") : fixed_text(e.median_ms))
         << " | "
         << (e.validity.status == stats::Validity::kInvalid ? "INVALID: " + markdown_cell(c10::Join("; ", e.validity.reasons))
             : e.round == 0                                   ? std::string("-")
                                                              : std::string(stats::verdict_name(e.vs_best.verdict)))
         << " |\n";
    return md.str();
  }

  void write_outputs(const stats::SearchResult& result, size_t candidates) {
    std::ostringstream md;
    md << "Search over " << candidates << " candidates, stopped: " << stats::stop_reason_name(result.stop)
       << ", noise floor " << fixed_text(result.noise_floor_ms) << " ms, " << result.evaluations.size()
       << " measurements.\n\n"
       << stats::chain_table_markdown(result.chain);
    if (!result.skipped.empty()) {
      md << "\nSkipped:";
      for (const auto& s : result.skipped) md << " " << s.name << " (round " << s.round << ": " << s.reason << ");";
      md << "\n";
    }
    md << evaluations_table(result);
    nlohmann::json j{{"best_stack", result.best_stack}, {"stop", stats::stop_reason_name(result.stop)},
                     {"noise_floor_ms", result.noise_floor_ms}};
    for (const auto& r : result.chain)
      j["chain"].push_back({{"stage", r.stage}, {"median_ms", r.median_ms}, {"vs_unoptimized", r.vs_unoptimized},
                            {"vs_prior", r.vs_prior}, {"verdict", stats::verdict_name(r.verdict)}, {"p", r.p_value}});
    md << pareto_section(j);
    finish_outputs(md.str(), j, "greedy stacking finds the fastest tier-A stack");
  }

  const SearchSessionOptions& o_;
  MatrixSpec spec_;
  dist::WorldInfo world_;
  std::string ledger_;
  opt::RunConfig where_;
  std::map<std::string, std::deque<LedgerRecord>> earlier_;
  LedgerRecord last_;
  int evaluations_ = 0;
};

}  // namespace

int run_search_session(const SearchSessionOptions& o) {
  const dist::WorldInfo world = dist::launched_by_launcher() ? dist::world_from_env() : dist::WorldInfo{};
  if (!o.journal.empty() && world.rank == 0) check_journal(o.journal);
  ABLATE_USAGE_CHECK(o.max_evaluations >= 0, "--max-evaluations: expected >= 0 (0: no limit), found ", o.max_evaluations);
  ABLATE_USAGE_CHECK(o.time_budget_s >= 0, "--time-budget-s: expected >= 0 (0: none), found ", o.time_budget_s);
  ABLATE_USAGE_CHECK(o.max_cv > 0 && o.max_cv < 10, "--max-cv: expected a fraction in (0, 10), found ", o.max_cv);
  ABLATE_USAGE_CHECK(o.noise_floor_ms >= 0, "--noise-floor-ms: expected >= 0, found ", o.noise_floor_ms);
  MatrixSpec spec = load_matrix_spec(o.matrix);
  if (o.repetitions > 0) spec.repetitions = o.repetitions;
  ABLATE_USAGE_CHECK(!o.halving || spec.repetitions >= 5, "--halving: the repetitions (", spec.repetitions,
                     ") are the most any candidate gets; expected >= 5 (the first look needs 5)");
  ABLATE_USAGE_CHECK(!o.halving || o.max_evaluations == 0, "--max-evaluations ", o.max_evaluations,
                     " with --halving: a halving round decides its candidates together, so it budgets by time only; "
                     "use --time-budget-s");
  ABLATE_USAGE_CHECK(o.repetitions == -1 || o.repetitions >= 1, "--repetitions: expected >= 1, found ", o.repetitions);
  // rank 0 searches and writes every output; the other ranks run the matrices it sends
  if (world.rank != 0) return follow_search(spec, world);
  return SearchSession(o, spec, world).run();
}

}  // namespace ablate
