// Joining the ledgers of a partitioned run (`ablate run --partition K/N`, one ledger per job) or of
// several device processes into one: one record per combination and fingerprint, the jobs' own
// baseline references dropped (the job that owned the baseline's engine group keeps its record).
// Ledgers of different determinism fingerprints (other GPUs, drivers, library versions) are refused
// unless asked for; then their records are kept apart by fingerprint, and verdicts compare only
// within one fingerprint (a report per fingerprint).
#pragma once
#include <string>
#include <vector>

#include "experiments/runner/ledger_record.h"

namespace ablate {

struct MergedLedger {
  std::vector<LedgerRecord> records;       // grouped by fingerprint (first-seen order), then file order
  std::vector<std::string> fingerprint_keys;  // first-seen order
  int references_dropped = 0;              // partition_reference records
  int duplicates_dropped = 0;              // a combination's further records (an error retried later loses)
};

// UsageError naming both ledgers and fingerprints when they differ and !allow_mixed, or a ledger
// is empty or unreadable.
MergedLedger merge_ledgers(const std::vector<std::string>& paths, bool allow_mixed);

// The records of one fingerprint, in order.
std::vector<LedgerRecord> records_of_fingerprint(const std::vector<LedgerRecord>& records, const std::string& key);

}  // namespace ablate
