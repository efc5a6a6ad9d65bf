// Markdown tables of a matrix run from its ledger records: the PR-stack table (stage, generate()
// ms, vs unoptimized, vs prior, MD5 ok) and the full matrix (median, spread, delta and verdict
// against the baseline, tier, syncs, NCCL ms, peak memory, validity).
#pragma once
#include "experiments/runner/ledger_record.h"

#include <string>
#include <vector>

namespace ablate {

// One line of `text` fit for a table cell: its first line, '|' escaped (a ledger keeps the whole text).
std::string markdown_cell(const std::string& text);

// Rows in record order; "vs unoptimized" against the first ok row, "vs prior" against the row above.
std::string pr_stack_table(const std::vector<LedgerRecord>& records);
std::string matrix_table(const std::vector<LedgerRecord>& records);
// Title, workload and fingerprint, the stack table when the matrix is a stack, the matrix table.
std::string markdown_report(const std::vector<LedgerRecord>& records, const std::string& title);

}  // namespace ablate
