// One self-contained HTML page over the runner's ledger: summary table and inline SVG charts.
#pragma once
#include "experiments/runner/ledger_record.h"
#include <string>
#include <vector>

namespace ablate {

/// A complete HTML document (inline CSS, SVG and a small sorting script; no external URLs) for
/// ledger records (schema ablate.ledger/1, one per combination, in the runner's order):
///   - table#summary: one tr.combination per record (combination, status or skip/error reason,
///     median, min–max spread and CV, Δ vs the "baseline" record's median, tier, MD5, validity,
///     syncs, NCCL ms, peak memory, cold ms);
///   - svg#medians: one rect.bar per record with samples, min–max whiskers;
///   - svg#phases: one g.bar of rect.segment per record with phases_ms (when any has);
///   - svg#collectives: the same over collectives' ms (when any record has collectives).
/// Every ledger string is HTML-escaped. Fields may be absent or null; a field of the wrong type
/// throws std::invalid_argument naming the record, the field, what was expected and what was found.
/// The script sets data-script="ok" on <html> once it has run.
std::string html_report(const std::vector<LedgerRecord>& records, const std::string& title);

}  // namespace ablate
