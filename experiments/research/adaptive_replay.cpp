#include "experiments/research/adaptive_replay.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>

#include "experiments/stats/sequential.h"
#include "experiments/stats/statistics.h"

namespace ablate {

void VerdictCounts::add(stats::Verdict v) {
  switch (v) {
    case stats::Verdict::kFaster: ++faster; break;
    case stats::Verdict::kSlower: ++slower; break;
    case stats::Verdict::kSame: ++same; break;
    case stats::Verdict::kAmbiguous: ++ambiguous; break;
  }
}

namespace adaptive_replay {

// Smoothed bootstrap draws from `recorded` (portable: raw mt19937_64 bits, Box-Muller).
class SmoothedBootstrap {
 public:
  SmoothedBootstrap(const std::vector<double>& recorded, uint64_t seed) : x_(recorded), rng_(seed) {
    const double n = static_cast<double>(x_.size());
    bandwidth_ = stats::stddev(x_) * std::pow(n, -0.2);
  }
  std::vector<double> draw(int count) {
    std::vector<double> out;
    for (int i = 0; i < count; ++i) out.push_back(x_[rng_() % x_.size()] + bandwidth_ * normal());
    return out;
  }

 private:
  double normal() {
    const double u1 = (static_cast<double>(rng_() >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  std::vector<double> x_;
  std::mt19937_64 rng_;
  double bandwidth_ = 0;
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), f, v);
  return buf;
}

std::string counts_text(const VerdictCounts& c) {
  std::ostringstream os;
  os << c.faster << "/" << c.slower << "/" << c.same << "/" << c.ambiguous;
  return os.str();
}

}  // namespace adaptive_replay

AdaptiveSimResult simulate_adaptive(const std::vector<std::pair<std::string, std::vector<LedgerRecord>>>& ledgers,
                                    const AdaptiveSimOptions& options) {
  using adaptive_replay::SmoothedBootstrap;
  AdaptiveSimResult result;
  AdaptiveProtocol protocol = options.protocol;
  protocol.rule.max_repetitions = options.repetitions;
  result.rule = protocol.summary();
  uint64_t seed = options.seed;
  double reps_sum = 0;
  for (const auto& [name, records] : ledgers) {
    std::map<std::string, const LedgerRecord*> baseline;  // per fingerprint
    for (const auto& r : records)
      if (r.ok() && r.combination == "baseline" && !r.partition_reference && !baseline.count(r.fingerprint_key))
        baseline[r.fingerprint_key] = &r;
    for (const auto& r : records) {
      const auto it = baseline.find(r.fingerprint_key);
      if (!r.ok() || it == baseline.end()) continue;
      const LedgerRecord& base = *it->second;
      if (static_cast<int>(base.samples_ms.size()) < options.min_samples ||
          static_cast<int>(r.samples_ms.size()) < options.min_samples)
        continue;
      AdaptivePair pair;
      pair.ledger = name;
      pair.aa = &r == &base || r.strategies.empty();
      pair.combination = &r == &base ? "baseline (A/A)" : r.combination;
      pair.recorded_baseline = static_cast<int>(base.samples_ms.size());
      pair.recorded_candidate = static_cast<int>(r.samples_ms.size());
      auto thresholds = protocol.thresholds;
      pair.recorded_verdict = stats::verdict_name(stats::compare(base.samples_ms, r.samples_ms, thresholds).verdict);
      SmoothedBootstrap base_draws(base.samples_ms, seed++), cand_draws(r.samples_ms, seed++);
      double reps = 0;
      for (int t = 0; t < options.trials; ++t) {
        const auto b = base_draws.draw(options.repetitions);
        const auto c = cand_draws.draw(options.repetitions);
        thresholds.bootstrap.seed = seed++;
        const auto fixed = stats::compare(b, c, thresholds).verdict;
        const auto d = stats::sequential_replay(b, c, thresholds, protocol.rule);
        pair.fixed.add(fixed);
        pair.adaptive.add(d.verdict);
        pair.agree += d.verdict == fixed;
        reps += d.repetitions;
        if (pair.aa) {
          result.aa_fixed.add(fixed);
          result.aa_adaptive.add(d.verdict);
        }
      }
      pair.repetitions = reps / options.trials;
      result.trials += options.trials;
      result.agree += pair.agree;
      reps_sum += reps;
      result.pairs.push_back(pair);
    }
  }
  result.mean_repetitions = result.trials ? reps_sum / result.trials : 0;
  return result;
}

std::string adaptive_sim_markdown(const AdaptiveSimResult& r, const AdaptiveSimOptions& o) {
  using adaptive_replay::counts_text;
  using adaptive_replay::fmt;
  std::ostringstream os;
  os << "Rule: " << r.rule << ". " << o.trials << " seeded trials per pair (seed " << o.seed << "), " << o.repetitions
     << " repetitions per side drawn from a smoothed bootstrap of the recorded samples.\n\n";
  os << "| ledger | combination | recorded n (base/cand) | recorded verdict | fixed F/S/SAME/AMB | adaptive F/S/SAME/AMB "
        "| agree | mean reps |\n|---|---|---|---|---|---|---|---|\n";
  for (const auto& p : r.pairs)
    os << "| " << p.ledger << " | " << p.combination << " | " << p.recorded_baseline << "/" << p.recorded_candidate
       << " | " << p.recorded_verdict << " | " << counts_text(p.fixed) << " | " << counts_text(p.adaptive) << " | "
       << p.agree << "/" << p.fixed.total() << " | " << fmt("%.1f", p.repetitions) << " |\n";
  os << "\nTotal: " << r.pairs.size() << " pairs, " << r.trials << " trials; verdicts agree in " << r.agree << " ("
     << fmt("%.1f", r.trials ? 100.0 * r.agree / r.trials : 0.0) << " %); mean repetitions "
     << fmt("%.2f", r.mean_repetitions) << " of " << o.repetitions << " ("
     << fmt("%.2f", o.repetitions ? r.mean_repetitions / o.repetitions : 0.0) << "x the fixed protocol's candidate runs).\n";
  os << "A/A pairs (" << r.aa_adaptive.total() << " trials): adaptive F/S/SAME/AMB " << counts_text(r.aa_adaptive)
     << ", fixed " << counts_text(r.aa_fixed) << ".\n";
  return os.str();
}

}  // namespace ablate
