// The JSONL ledger of a matrix run: one LedgerRecord per line, appended with one write() as soon as
// the combination finishes, so a crash loses at most the combination in flight and --resume can skip
// what is done. A torn last line (a process killed mid-write) is dropped with a warning, both when
// reading and before appending; a write that fails (full disk, file-size limit) is cut back off, so
// the file always ends after its last complete record.
#pragma once
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
  // is started afresh. UsageError naming the file when it cannot be opened for writing.
  LedgerWriter(const std::string& path, bool append);
  ~LedgerWriter();
  LedgerWriter(const LedgerWriter&) = delete;
  LedgerWriter& operator=(const LedgerWriter&) = delete;

  // One line in one write(). On failure the partial line is truncated away and a one-line
  // std::runtime_error names the file, the reason and how many records are intact; also when
  // the file at the path is no longer the one opened (removed, or its folder replaced).
  void write(const LedgerRecord& record);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  int64_t records_ = 0;  // complete records in the file
};

}  // namespace ablate
