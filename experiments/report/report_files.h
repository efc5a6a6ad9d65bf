// Writes a run's report files into its output folder from the ledger records: report.md,
// benchmark.json (Google Benchmark format) and report.html; each through a temporary + rename.
// The HTML report embeds the thumbnails a run wrote beside its ledger (thumbnails/index.json).
#pragma once
#include "experiments/report/html_report.h"
#include "experiments/runner/ledger_record.h"

#include <string>
#include <vector>

namespace ablate {

/// `thumbnails_dir` is the folder that holds thumbnails/ (the ledger's folder); "" = `dir`.
void write_reports(const std::vector<LedgerRecord>& records, const std::string& title, const std::string& dir,
                   const std::string& thumbnails_dir = "");

/// The thumbnails listed in `folder`/thumbnails/index.json ([{file, combination, caption}]), baseline
/// first, in the index's order otherwise; none when there is no index. A listed file that is missing,
/// or an index that does not parse, throws UsageError naming the file.
std::vector<ReportThumbnail> read_thumbnails(const std::string& folder);

}  // namespace ablate
