#include "experiments/research/search_rounds.h"

#include <cmath>
#include <limits>
#include <map>
#include <sstream>

#include "experiments/common/number_text.h"
#include "experiments/gate/gate.h"

namespace ablate {
namespace search_rounds {

std::string join_stack(const std::vector<std::string>& stack) {
  std::string out;
  for (const auto& s : stack) out += (out.empty() ? "" : "+") + s;
  return out.empty() ? "baseline" : out;
}

std::string cell(std::string text) {
  for (auto& c : text)
    if (c == '|' || c == '\n') c = c == '|' ? '/' : ' ';
  return text;
}

std::string quality_text(double v, int digits) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fixed_text(v, digits);
}

}  // namespace search_rounds

std::string halving_rounds_markdown(const stats::HalvingSearchResult& result) {
  using search_rounds::cell;
  using search_rounds::join_stack;
  std::ostringstream md;
  md << "\nSuccessive halving: " << result.samples << " samples measured (baseline included) against "
     << result.fixed_protocol_samples << " for the fixed protocol over the same steps";
  if (result.fixed_protocol_samples > 0)
    md << " (" << fixed_text(static_cast<double>(result.samples) / result.fixed_protocol_samples, 2) << "x)";
  md << ".\n";
  for (const auto& step : result.steps) {
    md << "\nStep " << step.step << " on [" << join_stack(step.reference_stack) << "]: " << cell(step.result.decision);
    if (step.reference_top_up) md << " (winner topped up by " << step.reference_top_up << " samples)";
    md << "\n";
    for (const auto& s : step.skipped) md << "- skipped " << s.name << ": " << cell(s.reason) << "\n";
    for (const auto& round : step.result.rounds) {
      md << "\nRound " << round.round << ": " << round.repetitions << " repetitions per candidate, " << round.samples
         << " samples, FASTER level " << round.alpha << ", leader " << (round.leader.empty() ? "-" : round.leader)
         << "\n\n| candidate | reps | median ms | vs reference | kept |\n|---|---:|---:|---|---|\n";
      for (const auto& e : round.entries)
        md << "| " << e.name << " | " << e.repetitions << " | " << fixed_text(e.median_ms) << " | "
           << stats::verdict_name(e.vs_reference.verdict) << " (" << fixed_text(100.0 * e.vs_reference.rel, 2) << " %) | "
           << (e.dropped ? "dropped: " : "yes: ") << cell(e.reason) << " |\n";
    }
  }
  return md.str();
}

nlohmann::json halving_rounds_json(const stats::HalvingSearchResult& result) {
  nlohmann::json j{{"samples", result.samples}, {"fixed_protocol_samples", result.fixed_protocol_samples},
                   {"steps", nlohmann::json::array()}};
  for (const auto& step : result.steps) {
    nlohmann::json s{{"step", step.step}, {"reference_stack", step.reference_stack},
                     {"decision", step.result.decision}, {"rounds", nlohmann::json::array()}};
    for (const auto& round : step.result.rounds) {
      nlohmann::json r{{"round", round.round}, {"repetitions", round.repetitions}, {"samples", round.samples},
                       {"alpha", round.alpha}, {"leader", round.leader}, {"entries", nlohmann::json::array()}};
      for (const auto& e : round.entries)
        r["entries"].push_back({{"name", e.name}, {"repetitions", e.repetitions}, {"median_ms", e.median_ms},
                                {"vs_reference", stats::verdict_name(e.vs_reference.verdict)},
                                {"dropped", e.dropped}, {"reason", e.reason}});
      s["rounds"].push_back(r);
    }
    j["steps"].push_back(s);
  }
  return j;
}

stats::ParetoOptions front_options(double min_time_gap_ms) {
  stats::ParetoOptions o;
  o.measures = {{"psnr_db", stats::QualityDirection::kHigherBetter, 0.5},
                {"max_abs_u8", stats::QualityDirection::kLowerBetter, 1.0}};
  o.min_time_gap_ms = min_time_gap_ms;
  return o;
}

std::vector<FrontStack> pareto_stacks(const std::vector<LedgerRecord>& records, double min_time_gap_ms,
                                      uint64_t bootstrap_seed) {
  std::map<std::string, const LedgerRecord*> last;  // the last measurement of each stack
  std::vector<std::string> order;
  for (const auto& r : records) {
    if (!r.ok() || r.samples_ms.empty() || r.partition_reference) continue;
    if (!gate_verdict(r.tier, r.gate).pass) continue;
    if (!last.count(r.combination)) order.push_back(r.combination);
    last[r.combination] = &r;
  }
  std::vector<FrontStack> stacks;
  std::vector<stats::ParetoPoint> points;
  stats::BootstrapOptions bootstrap;
  bootstrap.seed = bootstrap_seed;
  for (const auto& id : order) {
    const LedgerRecord& r = *last[id];
    const bool identical = r.gate.md5_ok.value_or(r.combination == "baseline");
    const double psnr = r.gate.psnr_db.value_or(identical ? std::numeric_limits<double>::infinity() : 0.0);
    const double max_abs = static_cast<double>(r.gate.max_abs_u8.value_or(identical ? 0 : 255));
    FrontStack s;
    s.stack = id;
    s.tier = r.tier;
    s.point = stats::pareto_point(id, r.samples_ms, {psnr, max_abs}, bootstrap);
    s.bound = r.gate.bound;
    points.push_back(s.point);
    stacks.push_back(s);
  }
  if (stacks.empty()) return stacks;
  const auto front = stats::pareto_front(points, front_options(min_time_gap_ms));
  for (size_t i : front.front) stacks[i].on_front = true;
  for (const auto& d : front.dominated) {
    stacks[d.index].dominated_by = stacks[d.by].stack;
    stacks[d.index].reason = d.reason;
  }
  // the front first, fastest first; then the dominated, in the same order
  std::vector<FrontStack> out;
  for (size_t i : front.front) out.push_back(stacks[i]);
  for (const auto& d : front.dominated) out.push_back(stacks[d.index]);
  return out;
}

std::string pareto_markdown(const std::vector<FrontStack>& stacks) {
  using search_rounds::cell;
  using search_rounds::quality_text;
  std::ostringstream md;
  md << "\nSpeed/quality Pareto front (generate() median against the gate's PSNR and max |diff|; ties within 0.5 dB "
        "and 1):\n\n| stack | tier | median ms | 95 % CI | PSNR dB | max abs | bound | front |\n"
        "|---|---|---:|---|---:|---:|---|---|\n";
  for (const auto& s : stacks) {
    md << "| " << s.stack << " | " << s.tier << " | " << fixed_text(s.point.time_ms) << " | ["
       << fixed_text(s.point.time_ci.lo) << ", " << fixed_text(s.point.time_ci.hi) << "] | "
       << quality_text(s.point.quality[0], 2) << " | " << quality_text(s.point.quality[1], 0) << " | ";
    if (s.bound)
      md << "PSNR >= " << fixed_text(s.bound->min_psnr_db, 1) << " dB, max abs <= " << s.bound->max_abs_u8
         << (s.bound->within ? " (held)" : " (exceeded)");
    else
      md << "tier A: bit-identical";
    md << " | " << (s.on_front ? "yes" : "no: " + cell(s.dominated_by + ": " + s.reason)) << " |\n";
  }
  return md.str();
}

nlohmann::json pareto_json(const std::vector<FrontStack>& stacks) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& s : stacks) {
    nlohmann::json row{{"stack", s.stack}, {"tier", s.tier}, {"median_ms", s.point.time_ms},
                       {"ci_ms", {s.point.time_ci.lo, s.point.time_ci.hi}}, {"on_front", s.on_front}};
    row["psnr_db"] = std::isinf(s.point.quality[0]) ? nlohmann::json("inf") : nlohmann::json(s.point.quality[0]);
    row["max_abs_u8"] = s.point.quality[1];
    if (s.bound) row["bound"] = {{"min_psnr_db", s.bound->min_psnr_db}, {"max_abs_u8", s.bound->max_abs_u8},
                                 {"within", s.bound->within}};
    if (!s.on_front) row["dominated_by"] = s.dominated_by;
    j.push_back(row);
  }
  return j;
}

}  // namespace ablate
