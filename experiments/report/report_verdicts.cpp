#include "experiments/report/report_verdicts.h"

#include <algorithm>
#include <stdexcept>

#include "experiments/gate/gate.h"

namespace ablate {
namespace {

bool timed_ok(const LedgerRecord& r) { return r.ok() && !r.samples_ms.empty(); }

bool is_valid(const LedgerRecord& r) {
  return timed_ok(r) && r.validity != "INVALID" && gate_verdict(r.tier, r.gate).pass;
}

std::string invalid_why(const LedgerRecord& r) {
  std::string why;
  for (const auto& w : r.invalid_reasons) why += (why.empty() ? "" : "; ") + w;
  const GateVerdict g = gate_verdict(r.tier, r.gate);
  if (!g.pass) why += (why.empty() ? "" : "; ") + g.reason;
  return why;
}

// `sub`'s strategies all set the same way in `super`, which has exactly one more.
bool adds_one(const LedgerRecord& sub, const LedgerRecord& super) {
  if (super.strategies.size() != sub.strategies.size() + 1) return false;
  for (const auto& [k, v] : sub.strategies) {
    auto it = super.strategies.find(k);
    if (it == super.strategies.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

const LedgerRecord* baseline_record(const std::vector<LedgerRecord>& records) {
  for (const auto& r : records)
    if (timed_ok(r) && r.combination == "baseline") return &r;
  for (const auto& r : records)
    if (timed_ok(r) && r.strategies.empty()) return &r;
  return nullptr;
}

std::vector<RecordVerdict> verdicts_vs_baseline(const std::vector<LedgerRecord>& records) {
  const LedgerRecord* base = baseline_record(records);
  const bool base_valid = base && is_valid(*base);
  std::vector<RecordVerdict> out;
  for (const auto& r : records) {
    RecordVerdict v;
    v.valid = is_valid(r);
    if (r.status != RecordStatus::kOk) {
      v.name = record_status_name(r.status);
      v.why = r.reason;
    } else if (&r == base) {
      v.name = "baseline";
      v.tone = "reference";
      if (!v.valid) v.why = invalid_why(r);
    } else if (!v.valid) {
      v.name = "INVALID";
      v.why = invalid_why(r);
    }
    if (base && &r != base && timed_ok(r)) {
      try {
        v.comparison = stats::compare(base->samples_ms, r.samples_ms);
      } catch (const std::invalid_argument& e) {
        v.why = e.what();
      }
    }
    if (v.comparison && v.valid && &r != base) {
      if (!base_valid) {
        v.name = "AMBIGUOUS";
        v.why = "the baseline is INVALID";
      } else {
        v.name = stats::verdict_name(v.comparison->verdict);
        v.why = v.comparison->reason;
        if (v.comparison->verdict == stats::Verdict::kFaster) v.tone = "faster";
        if (v.comparison->verdict == stats::Verdict::kSlower) v.tone = "slower";
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

std::optional<size_t> best_valid(const std::vector<LedgerRecord>& records, const std::vector<RecordVerdict>& verdicts) {
  std::optional<size_t> best;
  for (size_t i = 0; i < records.size(); ++i) {
    if (verdicts[i].name != "FASTER") continue;
    if (!best || records[i].median_ms() < records[*best].median_ms()) best = i;
  }
  return best;
}

std::vector<size_t> stack_chain(const std::vector<LedgerRecord>& records) {
  const LedgerRecord* base = baseline_record(records);
  if (!base || records.empty()) return {};
  std::vector<size_t> chain{static_cast<size_t>(base - records.data())};
  for (;;) {
    const LedgerRecord& last = records[chain.back()];
    std::optional<size_t> next;
    for (size_t i = 0; i < records.size(); ++i) {
      if (!timed_ok(records[i]) || !adds_one(last, records[i])) continue;
      if (!next || records[i].median_ms() < records[*next].median_ms()) next = i;
    }
    if (!next) break;
    chain.push_back(*next);
  }
  // a stack, or a search's ledger (mode list) that holds such a chain; a full matrix holds many
  const std::string& mode = records.front().mode;
  if (chain.size() < 2 || (mode != "stack" && (mode != "list" || chain.size() < 3))) return {};
  return chain;
}

}  // namespace ablate
