#include "experiments/runner/ledger.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>

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
  std::error_code ec;
  // a folder, a device such as /dev/full (endless zeros) or a FIFO is refused before it is read
  ABLATE_USAGE_CHECK(!std::filesystem::exists(path, ec) || std::filesystem::is_regular_file(path, ec), path,
                     ": the ledger is not a regular file");
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
    } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number that overflows
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
  if (append && std::filesystem::is_regular_file(path)) {
    size_t torn = 0;
    const std::string kept = complete_lines(path, torn);
    if (torn > 0) {  // cut the torn record, so the next record starts on a line of its own
      std::cerr << "ablate: warning: " << path << ": dropping a torn last record (" << torn << " bytes)\n";
      std::filesystem::resize_file(path, kept.size());
    }
    records_ = std::count(kept.begin(), kept.end(), '\n');
  }
  // a file-size limit (ulimit -f) then fails the write with EFBIG, reported below, instead of
  // killing the process with SIGXFSZ halfway through a line
  ::signal(SIGXFSZ, SIG_IGN);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (append ? 0 : O_TRUNC), 0644);
  ABLATE_USAGE_CHECK(fd_ >= 0, path, ": cannot open the ledger for writing (", std::strerror(errno), ")");
}

LedgerWriter::~LedgerWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void LedgerWriter::write(const LedgerRecord& record) {
  // the open file must still be the one at the path: a removed ledger or a folder replaced
  // mid-run would take the records to a file nobody can read
  struct stat open_st {}, path_st {};
  errno = 0;
  if (::fstat(fd_, &open_st) != 0 || ::stat(path_.c_str(), &path_st) != 0 || open_st.st_ino != path_st.st_ino ||
      open_st.st_dev != path_st.st_dev)
    throw std::runtime_error(path_ + ": the ledger is no longer at this path (" +
                             (errno ? std::strerror(errno) : "replaced by another file") +
                             "); writing record " + std::to_string(records_ + 1) + " stopped, " +
                             std::to_string(records_) + " record(s) were written before");
  const std::string line = record.to_json().dump() + "\n";
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    const int err = n < 0 ? errno : ENOSPC;
    // cut the partial line off: the file ends after its last complete record
    const bool cut = before >= 0 && ::ftruncate(fd_, before) == 0;
    throw std::runtime_error(path_ + ": writing ledger record " + std::to_string(records_ + 1) + " failed (" +
                             std::strerror(err) + "; is the disk full?); " +
                             (cut ? "the " + std::to_string(records_) + " record(s) before it are intact"
                                  : "the partial line could not be cut off; --resume drops it"));
  }
  ++records_;
}

}  // namespace ablate
