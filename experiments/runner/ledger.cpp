#include "experiments/runner/ledger.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/error.h"
#include "experiments/common/json_fields.h"

namespace ablate {
namespace {

// The file's bytes up to and including its last newline (a torn tail is what follows it).
std::string complete_lines(const std::string& path, size_t& torn_bytes) {
  std::ifstream f(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const size_t end = text.rfind('\n');
  const size_t keep = end == std::string::npos ? 0 : end + 1;
  torn_bytes = text.size() - keep;
  text.resize(keep);
  return text;
}

}  // namespace

std::vector<LedgerRecord> read_ledger(const std::string& path) {
  std::ifstream f(path);
  ABLATE_USAGE_CHECK(f.good(), path, ": cannot read the ledger (does it exist?)");
  std::vector<std::string> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(line);
  const bool ends_with_newline = [&] {
    std::ifstream g(path, std::ios::binary | std::ios::ate);
    if (g.tellg() <= 0) return true;
    g.seekg(-1, std::ios::end);
    return g.get() == '\n';
  }();
  std::vector<LedgerRecord> records;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    const std::string where = path + ":" + std::to_string(i + 1);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(lines[i]);
    } catch (const nlohmann::json::parse_error& e) {
      if (i + 1 == lines.size() && !ends_with_newline) {  // the write in flight when a run died
        std::cerr << "ablate: warning: " << where << ": ignoring a torn last record (" << lines[i].size()
                  << " bytes without a newline; a run was killed while writing it)\n";
        break;
      }
      throw UsageError(where + ": not a JSON record: " + e.what());
    }
    records.push_back(guard_json_file(where, [&] { return LedgerRecord::from_json(j, where); }));
  }
  return records;
}

std::vector<LedgerRecord> read_nonempty_ledger(const std::string& path, const std::string& purpose) {
  auto records = read_ledger(path);
  ABLATE_USAGE_CHECK(!records.empty(), path, ": the ledger holds no records; ", purpose, " needs at least one");
  return records;
}

std::set<std::string> finished_combinations(const std::vector<LedgerRecord>& records) {
  std::set<std::string> done;
  for (const auto& r : records)
    if (r.status == RecordStatus::kOk || r.status == RecordStatus::kSkipped) done.insert(r.combination);
  return done;
}

LedgerWriter::LedgerWriter(const std::string& path, bool append) : path_(path) {
  if (append && std::filesystem::exists(path)) {
    size_t torn = 0;
    const std::string kept = complete_lines(path, torn);
    if (torn > 0) {  // cut the torn record, so the next record starts on a line of its own
      std::cerr << "ablate: warning: " << path << ": dropping a torn last record (" << torn << " bytes)\n";
      std::filesystem::resize_file(path, kept.size());
    }
  }
  out_.open(path, append ? std::ios::app : std::ios::out);
  ABLATE_USAGE_CHECK(out_.good(), path, ": cannot open the ledger for writing (", std::strerror(errno), ")");
}

void LedgerWriter::write(const LedgerRecord& record) {
  out_ << record.to_json().dump() << "\n";
  out_.flush();
  if (!out_.good())
    throw std::runtime_error("write to the ledger " + path_ + " failed (" + std::strerror(errno) +
                             "; is the disk full?); the records before this one are intact");
}

}  // namespace ablate
