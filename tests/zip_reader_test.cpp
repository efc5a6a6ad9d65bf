// ZipReader: damaged archives are refused naming the file: truncated, not a zip, a legacy
// torch.save pickle, compressed or CRC-damaged entries.
#include "core/io/zip_reader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/io/zip_writer.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace zip_reader_test {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

using testing::usage_error_of;

std::string two_entry_zip(const std::string& dir) {
  ZipWriter w(dir + "/good.zip");
  w.add("arc/data.pkl", "pickle!", 7);
  w.add("arc/data/0", std::string(300, 'q').data(), 300);
  w.finish();
  return read_all(dir + "/good.zip");
}

TEST(ZipReaderTest, TruncatedAndForeignFilesAreRefused) {
  const auto dir = testing::make_scratch_dir("zip_reader");
  const std::string good = two_entry_zip(dir);
  const std::string p = dir + "/bad.zip";

  write_all(p, good.substr(0, good.size() - 10));
  auto e = usage_error_of([&] { ZipReader r(MappedFile::open(p)); });
  EXPECT_EQ(e, p + ": a zip archive without its end-of-central-directory record; the file is truncated");

  write_all(p, good.substr(0, 200));
  e = usage_error_of([&] { ZipReader r(MappedFile::open(p)); });
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;

  write_all(p, std::string(100, 'a'));
  e = usage_error_of([&] { ZipReader r(MappedFile::open(p)); });
  EXPECT_NE(e.find(p + ": not a zip archive"), std::string::npos) << e;

  write_all(p, std::string("\x80\x02\x8a\x0a", 4) + std::string(60, '\0'));  // legacy torch.save: a pickle first
  e = usage_error_of([&] { ZipReader r(MappedFile::open(p)); });
  EXPECT_NE(e.find(p + ": a legacy (pre-1.6, non-zip) torch.save file"), std::string::npos) << e;

  write_all(p, "tiny");
  e = usage_error_of([&] { ZipReader r(MappedFile::open(p)); });
  EXPECT_NE(e.find(p + ": 4 bytes is too short for a zip archive"), std::string::npos) << e;
}

TEST(ZipReaderTest, CompressedAndDamagedEntriesNameTheEntry) {
  const auto dir = testing::make_scratch_dir("zip_reader");
  std::string z = two_entry_zip(dir);
  const std::string p = dir + "/bad.zip";
  ZipReader good(MappedFile::open(dir + "/good.zip"));
  const uint64_t cd = good.entries()[1].data_offset + 300;

  std::string deflated = z;
  deflated[8] = 8;        // local header: method deflate
  deflated[cd + 10] = 8;  // central header: method deflate
  write_all(p, deflated);
  auto e = usage_error_of([&] {
    ZipReader r(MappedFile::open(p));
    r.data(*r.find("arc/data.pkl"));
  });
  EXPECT_NE(e.find(p + ": entry 'arc/data.pkl' is compressed (method 8)"), std::string::npos) << e;

  std::string flipped = z;
  flipped[good.entries()[0].data_offset] ^= 1;  // one bit of "pickle!"
  write_all(p, flipped);
  e = usage_error_of([&] {
    ZipReader r(MappedFile::open(p));
    r.read(*r.find("arc/data.pkl"));
  });
  EXPECT_NE(e.find(p + ": entry 'arc/data.pkl' fails its CRC-32 check"), std::string::npos) << e;

  std::string moved = z;
  moved[cd + 42] = 3;  // first entry's local header offset now points into nothing
  write_all(p, moved);
  e = usage_error_of([&] { ZipReader r(MappedFile::open(p)); });
  EXPECT_NE(e.find(p + ": entry 'arc/data.pkl' has no local header at offset 3"), std::string::npos) << e;
}

}  // namespace zip_reader_test
}  // namespace ablate::io
