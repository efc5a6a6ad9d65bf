// run_steps.h: the runner's steps for adaptive repetitions (adaptive.h): after each round, which
// combinations stop; in each record, the rule and where it stopped.
#include "experiments/runner/run_steps.h"
#include "experiments/stats/sequential.h"

namespace ablate {

// Adaptive repetitions after a round: rank 0 asks the sequential rule about every combination
// still measuring (the baseline never stops) and every rank learns which stop. False when none is
// left to measure.
bool decide_stops(RunContext& ctx, std::vector<Accumulator>& accs, int64_t rounds_left) {
  const AdaptiveProtocol& protocol = *ctx.options.adaptive;
  const Accumulator* baseline = nullptr;
  for (const auto& a : accs)
    if (a.combo.values.empty()) baseline = &a;
  const std::vector<double>& base = baseline ? baseline->samples : ctx.baseline_samples;
  std::vector<int64_t> stop(accs.size(), 0);
  for (size_t k = 0; k < accs.size() && ctx.report; ++k) {
    Accumulator& a = accs[k];
    if (!a.error.empty() || a.stop || a.combo.values.empty() || base.empty() || a.samples.empty()) continue;
    auto thresholds = protocol.thresholds;
    thresholds.bootstrap.seed = ctx.spec.order_seed;
    const auto d = stats::sequential_decide(base, a.samples, thresholds, protocol.rule);
    if (d.action != stats::SequentialAction::kStop) continue;
    stop[k] = 1;
    a.stop = d;
    if (rounds_left > 0)
      ctx.progress << "stop " << a.combo.id << " after " << a.samples.size() << " repetitions: "
                   << stats::verdict_name(d.verdict) << " (" << d.reason << ")\n";
  }
  if (ctx.comm) {  // rank 0's decisions for every rank
    auto t = torch::tensor(stop, torch::kLong).to(ctx.device);
    ctx.comm->broadcast(t, 0);
    t = t.cpu();
    for (size_t k = 0; k < stop.size(); ++k) stop[k] = t[static_cast<int64_t>(k)].item<int64_t>();
  }
  bool measuring = false;
  for (size_t k = 0; k < accs.size(); ++k) {
    Accumulator& a = accs[k];
    if (stop[k] && !a.stop) a.stop = stats::SequentialDecision{};  // other ranks: stopped, the decision is rank 0's
    if (stop[k]) ctx.total_runs -= rounds_left;
    measuring = measuring || (a.error.empty() && !a.stop);
  }
  return measuring;
}

// Adaptive repetitions: the rule and where it stopped (the baseline is the reference; it runs to
// the maximum and keeps its samples for the groups after it).
void record_adaptive(RunContext& ctx, const Accumulator& a, LedgerRecord& r) {
  if (!ctx.options.adaptive) return;
  const auto& p = *ctx.options.adaptive;
  AdaptiveStop s;
  s.rule = p.summary();
  s.max_repetitions = p.rule.max_repetitions;
  s.stopped_at = static_cast<int64_t>(a.samples.size());
  if (a.combo.values.empty()) {
    s.verdict = "reference";
    s.reason = "the baseline runs to the maximum";
    if (ctx.baseline_samples.empty()) ctx.baseline_samples = a.samples;
  } else if (a.stop) {
    s.look = a.stop->look;
    s.looks = a.stop->looks;
    s.verdict = stats::verdict_name(a.stop->verdict);
    s.reason = a.stop->reason;
  } else {
    s.verdict = "undecided";
    s.reason = "no baseline samples to compare with";
  }
  r.adaptive = s;
}

}  // namespace ablate
