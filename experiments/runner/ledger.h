// The JSONL ledger of a matrix run: one JSON object per combination, appended and flushed as soon
// as the combination finishes, so a crash loses at most the combination in flight and --resume
// can skip what is done.
#pragma once
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <string>
#include <vector>

namespace ablate {

constexpr const char* kLedgerSchema = "ablate.ledger/1";

// Reads every record; UsageError naming the file and line when a line is not a ledger record.
// A truncated last line (a crash mid-write) is ignored with a warning on stderr.
std::vector<nlohmann::json> read_ledger(const std::string& path);

// Ids of the combinations with status ok or skipped (errors are retried on --resume).
std::set<std::string> finished_combinations(const std::vector<nlohmann::json>& records);

class LedgerWriter {
 public:
  // append: keep existing records (--resume); else the file must not exist yet.
  LedgerWriter(const std::string& path, bool append);
  void write(const nlohmann::json& record);  // one line, flushed
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::ofstream out_;
};

}  // namespace ablate
