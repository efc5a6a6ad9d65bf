// What `ablate search --halving` and `ablate search --allow-tier-b` write besides the chain: every
// successive-halving round (who was measured how often, dropped why, the leader, the decision) and
// the speed/quality Pareto front of the measured stacks (generate() time against the gate's PSNR
// and max |diff|, each stack with its tier-B bound). As Markdown for search.md and the journal, and
// as JSON for search.json.
#pragma once
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "experiments/runner/ledger_record.h"
#include "experiments/stats/pareto.h"
#include "experiments/stats/successive_halving.h"

namespace ablate {

// One section per greedy step: a table per round (candidate, repetitions, median, vs reference,
// dropped / why) and the step's decision; then the samples against the fixed protocol's.
std::string halving_rounds_markdown(const stats::HalvingSearchResult& result);
nlohmann::json halving_rounds_json(const stats::HalvingSearchResult& result);

// One measured stack on the speed/quality plane.
struct FrontStack {
  std::string stack;                 // combination id ("baseline", "a=v+b=w")
  std::string tier;
  stats::ParetoPoint point;          // time: median generate() and its CI; quality: psnr_db, max_abs_u8
  std::optional<GateFindings::Bound> bound;  // tier B: the bound it is held to and whether it held
  bool on_front = false;
  std::string dominated_by, reason;  // when not on the front
};

// Quality measures: PSNR dB (higher is better, ties within 0.5 dB; +inf when bit-identical) and
// max |diff| of the uint8 video (lower is better, ties within 1). The time gap: `min_time_gap_ms`.
stats::ParetoOptions front_options(double min_time_gap_ms);

// The front of the ok records (the last record of each combination; an identical output counts as
// PSNR +inf and max |diff| 0). Records whose gate failed (a tier-B bound exceeded, tier A changed)
// are left out: they are not acceptable at any speed.
std::vector<FrontStack> pareto_stacks(const std::vector<LedgerRecord>& records, double min_time_gap_ms,
                                      uint64_t bootstrap_seed = 0);
std::string pareto_markdown(const std::vector<FrontStack>& stacks);
nlohmann::json pareto_json(const std::vector<FrontStack>& stacks);

}  // namespace ablate
