// The ledger file under faults: a torn last line (a kill mid-write) is dropped with a warning when
// read and when appended to, a write that hits a file-size limit or a full device fails in one
// line naming the file and leaves the file ending after its last complete record; a ledger whose
// folder was replaced mid-run is named instead of written to a file nobody can read.
#include "experiments/runner/ledger.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <filesystem>
#include <stdexcept>

#include "core/error.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace ledger_test {
namespace fs = std::filesystem;

LedgerRecord record(const std::string& combination) {
  LedgerRecord r;
  r.matrix = "m";
  r.mode = "list";
  r.combination = combination;
  r.stage = combination;
  r.md5 = std::string(32, 'a');
  r.samples_ms = {10, 11};
  return r;
}

std::string ledger_with_two_records(const std::string& name) {
  const std::string path = testing::fresh_dir(name) + "/ledger.jsonl";
  LedgerWriter w(path, false);
  w.write(record("baseline"));
  w.write(record("sync_elim=on"));
  return path;
}

TEST(LedgerTest, TornLastLineIsDroppedWhenReadAndBeforeAppending) {
  const std::string path = ledger_with_two_records("ledger-torn");
  const auto whole = fs::file_size(path);
  const std::string text = testing::read_text(path);
  testing::write_text(path, text + text.substr(0, 40));  // a third record cut off mid-write
  ::testing::internal::CaptureStderr();
  const auto records = read_ledger(path);
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].combination, "sync_elim=on");
  EXPECT_NE(err.find(path + ":3: ignoring a torn last record (40 bytes without a newline"), std::string::npos) << err;
  ::testing::internal::CaptureStderr();
  {
    LedgerWriter w(path, true);
    err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(fs::file_size(path), whole);
    w.write(record("kv_index_copy=on"));
  }
  EXPECT_NE(err.find(path + ": dropping a torn last record (40 bytes)"), std::string::npos) << err;
  const auto after = read_ledger(path);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[2].combination, "kv_index_copy=on");
}

TEST(LedgerTest, WritePastTheFileSizeLimitIsCutBack) {
  const std::string path = ledger_with_two_records("ledger-limit");
  const auto whole = fs::file_size(path);
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  std::string message;
  {
    LedgerWriter w(path, true);  // ignores SIGXFSZ, so the limit fails the write instead
    rlimit low = old;
    low.rlim_cur = whole + 20;  // room for part of the next record only
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &low), 0);
    try {
      w.write(record("kv_index_copy=on"));
    } catch (const std::runtime_error& e) {
      message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
  }
  EXPECT_EQ(message, path + ": writing ledger record 3 failed (File too large; is the disk full?); "
                            "the 2 record(s) before it are intact");
  EXPECT_EQ(fs::file_size(path), whole) << "the partial line must be cut off";
  EXPECT_EQ(read_ledger(path).size(), 2u);
}

TEST(LedgerTest, FullDeviceIsNamedAndNotReadAsALedger) {
  LedgerWriter w("/dev/full", false);
  try {
    w.write(record("baseline"));
    FAIL() << "a write to /dev/full succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/full: writing ledger record 1 failed (No space left on device"),
              std::string::npos)
        << e.what();
  }
  try {
    read_ledger("/dev/full");
    FAIL() << "read /dev/full as a ledger";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "/dev/full: the ledger is not a regular file");
  }
}

TEST(LedgerTest, FolderReplacedMidRunIsNamed) {
  const std::string dir = testing::fresh_dir("ledger-replaced");
  const std::string path = dir + "/out/ledger.jsonl";
  fs::create_directories(dir + "/out");
  LedgerWriter w(path, false);
  w.write(record("baseline"));
  fs::rename(dir + "/out", dir + "/moved");
  testing::write_text(dir + "/out", "a file where the folder was");
  try {
    w.write(record("sync_elim=on"));
    FAIL() << "wrote to a ledger whose folder was replaced";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": the ledger is no longer at this path (Not a directory); writing "
                                            "record 2 stopped, 1 record(s) were written before");
  }
  EXPECT_EQ(read_ledger(dir + "/moved/ledger.jsonl").size(), 1u);
}

TEST(LedgerTest, LedgerPathThatIsAFolderIsNamed) {
  const std::string dir = testing::fresh_dir("ledger-folder");
  try {
    LedgerWriter w(dir, true);
    FAIL() << "opened a folder as the ledger";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), dir + ": cannot open the ledger for writing (Is a directory)");
  }
}

}  // namespace ledger_test
}  // namespace ablate
