// One self-contained HTML page over the runner's ledger, answer first: headline, inline SVG charts,
// thumbnails, the table, and the run's metadata in a collapsed <details>.
#pragma once
#include "experiments/runner/ledger_record.h"
#include <string>
#include <vector>

namespace ablate {

/// An image the report embeds (base64 PNG): the baseline's contact sheet or a difference heat map.
struct ReportThumbnail {
  std::string combination;  // whose video it shows (data-combination)
  std::string caption;
  std::string png;          // the file's bytes
};

/// A complete HTML document (inline CSS, SVG, base64 PNGs and a small sorting script; no external
/// URLs) for ledger records (one per combination, in the runner's order), in this order:
///   - section#headline: the best valid FASTER combination (b.best) with its change and the 95 %
///     CI of it, and span.count[data-verdict] per verdict (report_verdicts.h);
///   - svg#medians: one rect.bar per timed record, whiskers the 95 % bootstrap CI of the median;
///     a colour class (faster / slower) only on decided verdicts;
///   - svg#phases: one g.bar of rect.segment per record with phases_ms (when any has);
///   - svg#waterfall: the stack / search chain (stack_chain), when there is one;
///   - svg#effects: factorial main effects and interactions with CIs (two-level full/factorial);
///   - svg#latency-chart and table#latency: time to the first chunk / frame, per-chunk ms;
///   - svg#collectives: collectives' ms (when any record has collectives);
///   - div#thumbnails: `thumbnails`;
///   - table#summary: one tr.combination per record (verdict, status, median, spread, Δ, tier,
///     MD5, syncs, NCCL ms, peak memory, cold ms);
///   - details#metadata (closed): matrix, mode, command, workload and environment leaves.
/// Every ledger string is HTML-escaped. Fields may be absent or null; a field of the wrong type
/// throws std::invalid_argument naming the record, the field, what was expected and what was found.
/// The script sets data-script="ok" on <html> once it has run.
std::string html_report(const std::vector<LedgerRecord>& records, const std::string& title,
                        const std::vector<ReportThumbnail>& thumbnails = {});

}  // namespace ablate
