// Greedy stacking search and its chain table (see search.h).
#include "experiments/stats/search.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <stdexcept>

namespace ablate::stats {
namespace {

// The evaluation-count and wall-time budgets, checked before each Evaluate call.
class Budget {
 public:
  explicit Budget(const SearchOptions& o) : options_(o), start_(o.clock ? o.clock() : 0.0) {}

  // Why no further evaluation may start; empty when one may.
  std::optional<StopReason> exhausted(size_t evaluations_so_far) const {
    if (options_.max_evaluations > 0 && static_cast<int>(evaluations_so_far) >= options_.max_evaluations)
      return StopReason::kEvaluationBudget;
    if (options_.time_budget_s > 0.0 && options_.clock() - start_ >= options_.time_budget_s)
      return StopReason::kTimeBudget;
    return std::nullopt;
  }

 private:
  const SearchOptions& options_;
  double start_;
};

Evaluation measure(const Evaluate& evaluate, const SearchOptions& o, int round, std::vector<std::string> stack,
                   std::string added) {
  Evaluation e;
  e.round = round;
  e.stack = std::move(stack);
  e.added = std::move(added);
  e.samples = evaluate(e.stack);
  const ResultFlags flags = o.result_flags ? o.result_flags(e.stack) : ResultFlags{};
  e.validity = check_validity(e.samples, flags, o.limits);
  e.median_ms = e.samples.empty() ? 0.0 : median(e.samples);
  return e;
}

}  // namespace

const char* tier_name(Tier t) {
  switch (t) {
    case Tier::kA: return "A";
    case Tier::kB: return "B";
  }
  return "?";
}

const char* stop_reason_name(StopReason r) {
  switch (r) {
    case StopReason::kNothingHelps: return "nothing helps";
    case StopReason::kCandidatesExhausted: return "candidates exhausted";
    case StopReason::kEvaluationBudget: return "evaluation budget";
    case StopReason::kTimeBudget: return "time budget";
    case StopReason::kBaselineInvalid: return "baseline invalid";
  }
  return "?";
}

SearchResult greedy_search(const std::vector<Candidate>& candidates, const Evaluate& evaluate,
                           const SearchOptions& options) {
  std::set<std::string> names;
  for (const auto& c : candidates)
    if (!names.insert(c.name).second) throw std::invalid_argument("greedy_search: duplicate candidate " + c.name);
  if (options.time_budget_s > 0.0 && !options.clock)
    throw std::invalid_argument("greedy_search: a time budget needs a clock");
  if (!evaluate) throw std::invalid_argument("greedy_search: expected an Evaluate callback");

  SearchResult result;
  Budget budget(options);
  Thresholds thresholds = options.thresholds;
  auto stop = [&](StopReason r) {
    result.stop = r;
    result.noise_floor_ms = thresholds.noise_floor_ms;
    return result;
  };

  // Round 0: the unoptimized baseline (twice when the noise floor is measured here: an A/A pair).
  if (const auto r = budget.exhausted(0)) return stop(*r);
  result.evaluations.push_back(measure(evaluate, options, 0, {}, ""));
  if (result.evaluations.back().validity.status == Validity::kInvalid) return stop(StopReason::kBaselineInvalid);
  if (options.measure_noise_floor) {
    if (const auto r = budget.exhausted(result.evaluations.size())) return stop(*r);
    result.evaluations.push_back(measure(evaluate, options, 0, {}, ""));
    if (result.evaluations.back().validity.status == Validity::kInvalid)
      return stop(StopReason::kBaselineInvalid);
    const double floor = noise_floor(result.evaluations[0].samples, result.evaluations[1].samples,
                                     thresholds.bootstrap);
    thresholds.noise_floor_ms = std::max(thresholds.noise_floor_ms, floor);
  }
  Evaluation best = result.evaluations[0];
  const double unoptimized_ms = best.median_ms;
  result.chain.push_back({"baseline", {}, unoptimized_ms, 1.0, 1.0, Verdict::kSame, 1.0});

  std::vector<bool> used(candidates.size(), false);
  for (int round = 1;; ++round) {
    int winner = -1;
    Evaluation winner_eval;
    bool any_tried = false;
    std::optional<StopReason> out_of_budget;
    for (size_t i = 0; i < candidates.size() && !out_of_budget; ++i) {
      if (used[i]) continue;
      const Candidate& c = candidates[i];
      if (c.tier == Tier::kB && !options.allow_tier_b) {
        result.skipped.push_back({round, c.name, "tier B not allowed"});
        continue;
      }
      if (c.validate) {
        std::string why = c.validate(best.stack);
        if (!why.empty()) {
          result.skipped.push_back({round, c.name, std::move(why)});
          continue;
        }
      }
      if ((out_of_budget = budget.exhausted(result.evaluations.size()))) break;
      any_tried = true;
      std::vector<std::string> stack = best.stack;
      stack.push_back(c.name);
      Evaluation e = measure(evaluate, options, round, std::move(stack), c.name);
      if (e.validity.status == Validity::kValid) {
        e.vs_best = compare(best.samples, e.samples, thresholds);
        // Largest significant gain: most negative median change among FASTER verdicts.
        if (e.vs_best.verdict == Verdict::kFaster && (winner < 0 || e.vs_best.diff_ms < winner_eval.vs_best.diff_ms)) {
          winner = static_cast<int>(i);
          winner_eval = e;
        }
      }
      result.evaluations.push_back(std::move(e));
    }
    if (winner >= 0) {
      used[static_cast<size_t>(winner)] = true;
      const ChainRow& prior = result.chain.back();
      result.chain.push_back({winner_eval.added, winner_eval.stack, winner_eval.median_ms,
                              unoptimized_ms / winner_eval.median_ms, prior.median_ms / winner_eval.median_ms,
                              winner_eval.vs_best.verdict, winner_eval.vs_best.p_value});
      best = std::move(winner_eval);
      result.best_stack = best.stack;
    }
    if (out_of_budget) return stop(*out_of_budget);
    if (!any_tried) return stop(StopReason::kCandidatesExhausted);
    if (winner < 0) return stop(StopReason::kNothingHelps);
  }
}

std::string chain_table_markdown(const std::vector<ChainRow>& chain) {
  std::string out = "| stage | ms | vs unoptimized | vs prior | verdict |\n|---|---:|---:|---:|---|\n";
  char buf[256];
  for (size_t i = 0; i < chain.size(); ++i) {
    const ChainRow& r = chain[i];
    const std::string stage = i == 0 ? r.stage : "+ " + r.stage;
    std::snprintf(buf, sizeof(buf), "| %s | %.1f | %.2fx | %.2fx | %s |\n", stage.c_str(), r.median_ms,
                  r.vs_unoptimized, r.vs_prior, i == 0 ? "-" : verdict_name(r.verdict));
    out += buf;
  }
  return out;
}

}  // namespace ablate::stats
