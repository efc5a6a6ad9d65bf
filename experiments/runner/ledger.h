// The JSONL ledger of a matrix run: one LedgerRecord per line, appended and flushed as soon as the
// combination finishes, so a crash loses at most the combination in flight and --resume can skip
// what is done. A torn last line (a process killed mid-write) is dropped with a warning, both when
// reading and before appending.
#pragma once
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "experiments/runner/ledger_record.h"

namespace ablate {

// Every record in file order; UsageError naming the file, the line and the field for anything
// that is not a ledger record. A truncated last line is ignored with a warning on stderr.
std::vector<LedgerRecord> read_ledger(const std::string& path);

// read_ledger, refusing a ledger without records (UsageError naming the file and `purpose`).
std::vector<LedgerRecord> read_nonempty_ledger(const std::string& path, const std::string& purpose);

// Ids of the combinations with status ok or skipped (errors are retried on --resume).
std::set<std::string> finished_combinations(const std::vector<LedgerRecord>& records);

class LedgerWriter {
 public:
  // append: keep existing records (--resume; a torn last line is cut off first); else the file
  // must not exist yet.
  LedgerWriter(const std::string& path, bool append);
  void write(const LedgerRecord& record);  // one line, flushed; throws naming the file on failure
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace ablate
