// ZipWriter: the exact header bytes, 64-byte aligned data, the end records (zip64 when forced),
// and, where python3 is installed, Python's zipfile reading and CRC-checking the result.
#include "core/io/zip_writer.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/io/zip_format.h"
#include "core/io/zip_reader.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace zip_writer_test {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

uint64_t le(const std::string& s, size_t at, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

// Python's zipfile: testzip() (CRC of every entry) and the names with their data offsets.
std::string python_zip_listing(const std::string& path) {
  const std::string py = testing::find_program({"python3"});
  if (py.empty()) return "";
  const auto r = testing::run_shell(py +
                                   " -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
                                   "assert z.testzip() is None; print(','.join(i.filename+':'+str(i.file_size) "
                                   "for i in z.infolist()))\" " +
                                   path);
  return r.exit_code == 0 ? r.output : "python failed: " + r.output;
}

TEST(ZipWriterTest, LocalHeaderBytesAndAlignment) {
  const auto dir = testing::make_scratch_dir("zip_writer");
  const std::string p = dir + "/a.zip";
  ZipWriter w(p);
  w.add("arc/data.pkl", "hello", 5);
  w.add("arc/data/0", "0123456789", 10);
  w.finish();
  const std::string z = read_all(p);
  // first local header
  EXPECT_EQ(le(z, 0, 4), zip::kLocalHeaderSig);
  EXPECT_EQ(le(z, 4, 2), 20u);     // version needed
  EXPECT_EQ(le(z, 6, 2), 0x800u);  // UTF-8 names
  EXPECT_EQ(le(z, 8, 2), 0u);      // stored
  EXPECT_EQ(le(z, 10, 2), 0u);     // time
  EXPECT_EQ(le(z, 12, 2), 0x21u);  // 1980-01-01
  EXPECT_EQ(le(z, 14, 4), zip::crc32("hello", 5));
  EXPECT_EQ(le(z, 18, 4), 5u);
  EXPECT_EQ(le(z, 22, 4), 5u);
  EXPECT_EQ(le(z, 26, 2), 12u);  // name length
  const uint64_t extra = le(z, 28, 2);
  EXPECT_EQ(z.substr(30, 12), "arc/data.pkl");
  EXPECT_EQ(le(z, 42, 2), zip::kPaddingExtraId);  // "FB"
  EXPECT_EQ(le(z, 44, 2), extra - 4);
  EXPECT_EQ(z.substr(46, extra - 4), std::string(extra - 4, 'Z'));
  const uint64_t data0 = 30 + 12 + extra;
  EXPECT_EQ(data0, 64u);  // 30 + 12 + 4 = 46 -> padded to 64
  EXPECT_EQ(z.substr(data0, 5), "hello");
  // second entry starts right after the first's data, its data 64-aligned too
  const uint64_t h1 = data0 + 5;
  EXPECT_EQ(le(z, h1, 4), zip::kLocalHeaderSig);
  const uint64_t data1 = h1 + 30 + le(z, h1 + 26, 2) + le(z, h1 + 28, 2);
  EXPECT_EQ(data1 % 64, 0u);
  EXPECT_EQ(z.substr(data1, 10), "0123456789");
  // end record: 2 entries, central directory right after the last data
  const size_t eocd = z.size() - zip::kEndOfCentralDirSize;
  EXPECT_EQ(le(z, eocd, 4), zip::kEndOfCentralDirSig);
  EXPECT_EQ(le(z, eocd + 10, 2), 2u);
  EXPECT_EQ(le(z, eocd + 16, 4), data1 + 10);
  EXPECT_EQ(le(z, eocd + 12, 4), eocd - (data1 + 10));
  EXPECT_EQ(le(z, data1 + 10, 4), zip::kCentralHeaderSig);
  EXPECT_EQ(le(z, data1 + 10 + 42, 4), 0u);  // first entry's local header offset
  // the reader agrees
  ZipReader r(MappedFile::open(p));
  ASSERT_EQ(r.entries().size(), 2u);
  EXPECT_EQ(r.entries()[1].data_offset, data1);
  EXPECT_EQ(r.read(*r.find("arc/data/0")), "0123456789");
  const std::string listing = python_zip_listing(p);
  if (!listing.empty()) {
    EXPECT_EQ(listing, "arc/data.pkl:5,arc/data/0:10\n");
  }
}

TEST(ZipWriterTest, ForcedZip64RecordsReadBack) {
  const auto dir = testing::make_scratch_dir("zip_writer");
  const std::string p = dir + "/z64.zip";
  ZipWriterOptions o;
  o.zip64_threshold = 0;  // every size and offset as a zip64 field
  ZipWriter w(p, o);
  std::string big(100000, 'x');
  w.add("a/one", big.data(), big.size());
  w.add("a/two", "2", 1);
  w.finish();
  const std::string z = read_all(p);
  EXPECT_EQ(le(z, 4, 2), 45u);           // zip64 version needed
  EXPECT_EQ(le(z, 18, 4), zip::kMax32);  // sizes moved to the extra field
  EXPECT_EQ(le(z, 30 + 5, 2), zip::kZip64ExtraId);
  EXPECT_EQ(le(z, 30 + 5 + 4, 8), big.size());
  const size_t eocd = z.size() - zip::kEndOfCentralDirSize;
  EXPECT_EQ(le(z, eocd + 16, 4), zip::kMax32);
  EXPECT_EQ(le(z, eocd - zip::kZip64LocatorSize, 4), zip::kZip64LocatorSig);
  ZipReader r(MappedFile::open(p));
  ASSERT_EQ(r.entries().size(), 2u);
  EXPECT_EQ(r.entries()[0].size, big.size());
  EXPECT_EQ(r.entries()[1].header_offset, r.entries()[0].data_offset + big.size());
  EXPECT_EQ(r.read(r.entries()[0]), big);
  EXPECT_EQ(r.entries()[1].data_offset % 64, 0u);
  const std::string listing = python_zip_listing(p);
  if (!listing.empty()) {
    EXPECT_EQ(listing, "a/one:100000,a/two:1\n");
  }
}

TEST(ZipWriterTest, UnfinishedWriterLeavesNoFile) {
  const auto dir = testing::make_scratch_dir("zip_writer");
  {
    ZipWriter w(dir + "/partial.zip");
    w.add("x", "1", 1);
  }
  EXPECT_NE(testing::run_shell("ls " + dir + "/partial.zip*").exit_code, 0);
}

}  // namespace zip_writer_test
}  // namespace ablate::io
