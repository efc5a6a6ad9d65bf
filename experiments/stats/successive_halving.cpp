// Successive halving rounds and the greedy search built from them (see successive_halving.h).
#include "experiments/stats/successive_halving.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <set>
#include <stdexcept>

namespace ablate::stats {
namespace {

std::string format(const char* fmt, double a, double b = 0.0, double c = 0.0, double d = 0.0) {
  char buf[320];
  std::snprintf(buf, sizeof(buf), fmt, a, b, c, d);
  return buf;
}

void check_options(const HalvingOptions& o) {
  look_schedule(o.rule);
  look_thresholds(o.rule, o.thresholds, 1);  // interim_alpha < alpha
  if (!(o.drop_confidence > 0.0 && o.drop_confidence < 1.0))
    throw std::invalid_argument("successive_halving: drop_confidence: expected a level in (0, 1), found " +
                                std::to_string(o.drop_confidence));
  if (o.rule.min_repetitions < o.limits.min_repetitions)
    throw std::invalid_argument("successive_halving: rule.min_repetitions: expected >= limits.min_repetitions " +
                                std::to_string(o.limits.min_repetitions) + " (fewer are INVALID), found " +
                                std::to_string(o.rule.min_repetitions));
}

// A survivor: its samples so far and its row in the current round.
struct Live {
  size_t index = 0;
  std::vector<double> samples;
};

}  // namespace

HalvingResult successive_halving(const std::vector<std::string>& reference_stack,
                                 const std::vector<double>& reference_samples,
                                 const std::vector<std::string>& candidates, const EvaluateRepetitions& evaluate,
                                 const HalvingOptions& options) {
  check_options(options);
  if (!evaluate) throw std::invalid_argument("successive_halving: expected an Evaluate callback");
  if (reference_samples.empty()) throw std::invalid_argument("successive_halving: expected reference samples");
  if (candidates.empty()) throw std::invalid_argument("successive_halving: expected at least one candidate");
  std::set<std::string> names;
  for (const auto& c : candidates)
    if (!names.insert(c).second) throw std::invalid_argument("successive_halving: duplicate candidate " + c);

  const std::vector<int> looks = look_schedule(options.rule);
  const int last = static_cast<int>(looks.size());
  HalvingResult result;
  result.fixed_protocol_samples = static_cast<int>(candidates.size()) * options.rule.max_repetitions;
  std::vector<Live> live;
  for (size_t i = 0; i < candidates.size(); ++i) live.push_back({i, {}});

  for (int look = 1; look <= last; ++look) {
    const int n = looks[static_cast<size_t>(look - 1)];
    const bool final_look = look == last;
    Thresholds t = look_thresholds(options.rule, options.thresholds, look);
    if (!final_look) t.bootstrap.confidence = options.drop_confidence;  // interim CIs serve the drop rules
    HalvingRound round;
    round.round = look;
    round.repetitions = n;
    round.alpha = t.alpha;

    // 1-2. measure up to n and check validity
    for (Live& l : live) {
      HalvingEntry e;
      e.name = candidates[l.index];
      e.stack = reference_stack;
      e.stack.push_back(e.name);
      const int want = n - static_cast<int>(l.samples.size());
      const std::vector<double> more = evaluate(e.stack, want);
      if (static_cast<int>(more.size()) > want)
        throw std::logic_error("successive_halving: evaluate returned " + std::to_string(more.size()) +
                               " samples of " + e.name + " for " + std::to_string(want) + " repetitions");
      round.samples += static_cast<int>(more.size());
      l.samples.insert(l.samples.end(), more.begin(), more.end());
      e.repetitions = static_cast<int>(l.samples.size());
      ResultFlags flags = options.result_flags ? options.result_flags(e.stack) : ResultFlags{};
      if (static_cast<int>(more.size()) < want && flags.failure.empty())
        flags.failure = "returned " + std::to_string(more.size()) + " of " + std::to_string(want) + " samples";
      // The CV limit waits for the decision: a CV from 5 samples is too noisy to drop on.
      ValidityLimits limits = options.limits;
      if (!final_look) limits.max_cv = std::numeric_limits<double>::infinity();
      e.validity = check_validity(l.samples, flags, limits);
      if (!l.samples.empty()) e.median_ms = median(l.samples);
      if (e.validity.status == Validity::kInvalid) {
        e.dropped = true;
        e.reason = "INVALID:";
        for (const auto& r : e.validity.reasons) e.reason += " " + r + ";";
        e.reason.pop_back();
      } else {
        e.vs_reference = compare(reference_samples, l.samples, t);
      }
      round.entries.push_back(std::move(e));
    }
    result.samples += round.samples;
    auto entry = [&](size_t k) -> HalvingEntry& { return round.entries[k]; };
    std::vector<size_t> in;  // positions in round.entries (and live) still in
    for (size_t k = 0; k < live.size(); ++k)
      if (!entry(k).dropped) in.push_back(k);

    if (final_look) {
      // 4. compare()'s verdict at the last look; the largest significant gain wins
      int best = -1;
      for (const size_t k : in) {
        HalvingEntry& e = entry(k);
        if (e.vs_reference.verdict == Verdict::kFaster) {
          if (best < 0 || e.vs_reference.diff_ms < entry(static_cast<size_t>(best)).vs_reference.diff_ms)
            best = static_cast<int>(k);
          e.reason = "FASTER at the last look: " + e.vs_reference.reason;
        } else {
          e.dropped = true;
          e.reason = std::string(verdict_name(e.vs_reference.verdict)) + " at the last look: " + e.vs_reference.reason;
        }
      }
      if (best >= 0) {
        const size_t b = static_cast<size_t>(best);
        round.leader = entry(b).name;
        result.winner = static_cast<int>(live[b].index);
        result.winner_samples = live[b].samples;
        result.winner_vs_reference = entry(b).vs_reference;
        entry(b).reason = "wins: " + entry(b).reason;
        result.decision = entry(b).name + " wins at the last look (" + std::to_string(n) +
                          format(" reps): FASTER by %.3f ms, the largest significant gain",
                                 -entry(b).vs_reference.diff_ms);
      } else {
        result.decision = "nothing helps: no candidate FASTER at the last look (" + std::to_string(n) + " reps)";
      }
      result.rounds.push_back(std::move(round));
      return result;
    }

    // 3a. clearly not better than the reference
    std::vector<size_t> kept;
    for (const size_t k : in) {
      HalvingEntry& e = entry(k);
      const Comparison& c = e.vs_reference;
      if (c.diff_ci.lo > -c.practical_ms) {
        e.dropped = true;
        e.reason = std::string(verdict_name(c.verdict)) + " vs the reference; " +
                   format("%.0f %% CI [%.3f, %.3f] ms of the change excludes a gain of %.3f ms",
                          100.0 * options.drop_confidence, c.diff_ci.lo, c.diff_ci.hi, c.practical_ms);
      } else {
        kept.push_back(k);
      }
    }
    // 3b. cannot beat the leader (lowest median; ties: input order) by a gain that counts
    if (!kept.empty()) {
      const size_t lead = *std::min_element(kept.begin(), kept.end(), [&](size_t a, size_t b) {
        return entry(a).median_ms < entry(b).median_ms;
      });
      round.leader = entry(lead).name;
      std::vector<size_t> survivors;
      for (const size_t k : kept) {
        HalvingEntry& e = entry(k);
        if (k != lead) {
          e.compared_to_leader = true;
          e.vs_leader = compare(live[lead].samples, live[k].samples, t);
          const Comparison& c = e.vs_leader;
          if (c.diff_ci.lo > -c.practical_ms) {
            e.dropped = true;
            e.reason = "cannot beat the leader " + round.leader + ": " +
                       format("%.0f %% CI [%.3f, %.3f] ms of the change from it excludes a gain of %.3f ms",
                              100.0 * options.drop_confidence, c.diff_ci.lo, c.diff_ci.hi, c.practical_ms);
            continue;
          }
        }
        survivors.push_back(k);
      }
      kept = std::move(survivors);
    }
    for (const size_t k : kept) {
      const Comparison& c = entry(k).vs_reference;
      entry(k).reason = (entry(k).name == round.leader ? "leader; " : "") +
                        format("%.0f %% CI [%.3f, %.3f] ms reaches a gain of %.3f ms", 100.0 * options.drop_confidence,
                               c.diff_ci.lo, c.diff_ci.hi, c.practical_ms);
    }
    if (kept.empty()) {
      result.decision = "nothing helps: every candidate dropped by look " + std::to_string(look) + " (" +
                        std::to_string(n) + " reps)";
      result.rounds.push_back(std::move(round));
      return result;
    }
    bool wins = kept.size() == 1 && entry(kept[0]).vs_reference.verdict == Verdict::kFaster;
    if (wins) {
      const ValidityReport full = check_validity(live[kept[0]].samples, {}, options.limits);
      if (full.status == Validity::kInvalid) {
        wins = false;
        entry(kept[0]).reason = "FASTER, but " + full.reasons.front() + ": measured on";
      }
    }
    if (wins) {
      HalvingEntry& e = entry(kept[0]);
      e.reason = "wins: the last survivor, " + format("FASTER (p %.3g < %.4g)", e.vs_reference.p_value, t.alpha);
      result.winner = static_cast<int>(live[kept[0]].index);
      result.winner_samples = live[kept[0]].samples;
      result.winner_vs_reference = e.vs_reference;
      result.decision = e.name + " wins at look " + std::to_string(look) + " (" + std::to_string(n) +
                        format(" reps): the last survivor, FASTER by %.3f ms", -e.vs_reference.diff_ms);
      result.rounds.push_back(std::move(round));
      return result;
    }
    std::vector<Live> next;
    for (const size_t k : kept) next.push_back(std::move(live[k]));
    live = std::move(next);
    result.rounds.push_back(std::move(round));
  }
  throw std::logic_error("successive_halving: ran past the last look");
}

HalvingSearchResult halving_search(const std::vector<Candidate>& candidates, const EvaluateRepetitions& evaluate,
                                   const HalvingSearchOptions& options) {
  const HalvingOptions& h = options.halving;
  check_options(h);
  if (!evaluate) throw std::invalid_argument("halving_search: expected an Evaluate callback");
  std::set<std::string> names;
  for (const auto& c : candidates)
    if (!names.insert(c.name).second) throw std::invalid_argument("halving_search: duplicate candidate " + c.name);

  if (options.time_budget_s > 0 && !options.clock)
    throw std::invalid_argument("halving_search: a time budget needs a clock");
  const double start = options.clock ? options.clock() : 0.0;
  const auto out_of_time = [&] { return options.time_budget_s > 0 && options.clock() - start >= options.time_budget_s; };
  const int max_reps = h.rule.max_repetitions;
  HalvingSearchResult result;
  result.baseline_samples = evaluate({}, max_reps);
  result.samples += static_cast<int>(result.baseline_samples.size());
  result.fixed_protocol_samples += max_reps;
  ResultFlags flags = h.result_flags ? h.result_flags({}) : ResultFlags{};
  if (static_cast<int>(result.baseline_samples.size()) < max_reps && flags.failure.empty())
    flags.failure = "returned " + std::to_string(result.baseline_samples.size()) + " of " +
                    std::to_string(max_reps) + " samples";
  result.baseline_validity = check_validity(result.baseline_samples, flags, h.limits);
  if (result.baseline_validity.status == Validity::kInvalid) {
    result.stop = StopReason::kBaselineInvalid;
    return result;
  }
  const double unoptimized_ms = median(result.baseline_samples);
  result.chain.push_back({"baseline", {}, unoptimized_ms, 1.0, 1.0, Verdict::kSame, 1.0});

  std::vector<double> reference = result.baseline_samples;
  std::vector<bool> used(candidates.size(), false);
  for (int step = 1;; ++step) {
    if (out_of_time()) {
      result.stop = StopReason::kTimeBudget;
      return result;
    }
    HalvingStep s;
    s.step = step;
    s.reference_stack = result.best_stack;
    std::vector<std::string> allowed;
    std::vector<size_t> allowed_index;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (used[i]) continue;
      const Candidate& c = candidates[i];
      if (c.tier == Tier::kB && !options.allow_tier_b) {
        s.skipped.push_back({step, c.name, "tier B not allowed"});
        continue;
      }
      if (c.validate) {
        std::string why = c.validate(result.best_stack);
        if (!why.empty()) {
          s.skipped.push_back({step, c.name, std::move(why)});
          continue;
        }
      }
      allowed.push_back(c.name);
      allowed_index.push_back(i);
    }
    if (allowed.empty()) {
      if (!s.skipped.empty()) result.steps.push_back(std::move(s));
      result.stop = StopReason::kCandidatesExhausted;
      return result;
    }
    s.result = successive_halving(result.best_stack, reference, allowed, evaluate, h);
    result.samples += s.result.samples;
    result.fixed_protocol_samples += s.result.fixed_protocol_samples;
    if (s.result.winner < 0) {
      result.steps.push_back(std::move(s));
      result.stop = StopReason::kNothingHelps;
      return result;
    }
    const size_t w = allowed_index[static_cast<size_t>(s.result.winner)];
    used[w] = true;
    std::vector<std::string> stack = result.best_stack;
    stack.push_back(candidates[w].name);
    std::vector<double> samples = s.result.winner_samples;
    const int top_up = max_reps - static_cast<int>(samples.size());
    if (top_up > 0) {
      const std::vector<double> more = evaluate(stack, top_up);
      samples.insert(samples.end(), more.begin(), more.end());
      s.reference_top_up = static_cast<int>(more.size());
      result.samples += s.reference_top_up;
    }
    const double ms = median(samples);
    const ChainRow& prior = result.chain.back();
    result.chain.push_back({candidates[w].name, stack, ms, unoptimized_ms / ms, prior.median_ms / ms,
                            s.result.winner_vs_reference.verdict, s.result.winner_vs_reference.p_value});
    result.best_stack = std::move(stack);
    reference = std::move(samples);
    result.steps.push_back(std::move(s));
  }
}

}  // namespace ablate::stats
