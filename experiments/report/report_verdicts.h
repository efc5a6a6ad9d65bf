// What the HTML report says about each record against the run's baseline: the Mann-Whitney
// verdict (stats::compare, default thresholds), whether the record counts (VALID timing and a
// passing gate), the tone it is drawn in (colour only for decided verdicts), the best valid
// combination, and the stack/search chain.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "experiments/runner/ledger_record.h"
#include "experiments/stats/verdict.h"

namespace ablate {

struct RecordVerdict {
  // "baseline" | "FASTER" | "SLOWER" | "SAME" | "AMBIGUOUS" | "INVALID" | "skipped" | "error" | "–"
  std::string name = "–";
  std::string why;                             // INVALID: the reasons; else the rule that decided
  std::optional<stats::Comparison> comparison;  // vs the baseline, when both have samples
  bool valid = false;                          // ok, not INVALID, the gate passed
  // "faster" | "slower" (decided verdicts of valid records only), "reference" (the baseline), "".
  std::string tone;
};

// The baseline record: combination "baseline" (or no strategies), status ok; nullptr when none.
const LedgerRecord* baseline_record(const std::vector<LedgerRecord>& records);

// One verdict per record, in order.
std::vector<RecordVerdict> verdicts_vs_baseline(const std::vector<LedgerRecord>& records);

// The valid FASTER record with the lowest median (index into records), if any.
std::optional<size_t> best_valid(const std::vector<LedgerRecord>& records, const std::vector<RecordVerdict>& verdicts);

// The stack (mode "stack") or search chain: from the baseline, each next record adds one strategy
// to the previous one's (the fastest such ok record); indices into records. Mode "list" (a search's
// ledger) needs a chain of at least two steps; other modes have none.
std::vector<size_t> stack_chain(const std::vector<LedgerRecord>& records);

}  // namespace ablate
