// Writes a run's report files into its output folder from the ledger records: report.md,
// benchmark.json (Google Benchmark format) and report.html; each through a temporary + rename.
#pragma once
#include "experiments/runner/ledger_record.h"

#include <string>
#include <vector>

namespace ablate {

void write_reports(const std::vector<LedgerRecord>& records, const std::string& title, const std::string& dir);

}  // namespace ablate
