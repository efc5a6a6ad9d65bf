// MappedFile: bytes, bounds checks with the file named, and release() taking pages out of the RSS.
#include "core/io/mapped_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace mapped_file_test {

std::string write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

TEST(MappedFileTest, MapsTheFileBytes) {
  const auto dir = testing::make_scratch_dir("mapped_file");
  std::vector<uint8_t> bytes(10000);
  std::iota(bytes.begin(), bytes.end(), uint8_t{7});
  const auto file = MappedFile::open(write_bytes(dir + "/f.bin", bytes));
  ASSERT_EQ(file->size(), bytes.size());
  EXPECT_EQ(std::vector<uint8_t>(file->data(), file->data() + file->size()), bytes);
  EXPECT_EQ(file->at(9990, 10, "tail")[9], bytes[9999]);
}

TEST(MappedFileTest, EmptyFileMapsToNothing) {
  const auto dir = testing::make_scratch_dir("mapped_file");
  const auto file = MappedFile::open(write_bytes(dir + "/empty.bin", {}));
  EXPECT_EQ(file->size(), 0u);
  EXPECT_EQ(file->data(), nullptr);
}

TEST(MappedFileTest, MissingFileAndOutOfRangeNameTheFile) {
  const auto dir = testing::make_scratch_dir("mapped_file");
  try {
    MappedFile::open(dir + "/nope.bin");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(dir + "/nope.bin: cannot open"), std::string::npos) << e.what();
  }
  const auto file = MappedFile::open(write_bytes(dir + "/f.bin", std::vector<uint8_t>(100)));
  try {
    file->at(90, 20, "the widget");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), dir +
                                         "/f.bin: the widget at bytes [90, 110) runs past the end of the file (100 "
                                         "bytes); the file is truncated or corrupt");
  }
}

TEST(MappedFileTest, ReleaseTakesPagesOutOfTheResidentSet) {
  const auto dir = testing::make_scratch_dir("mapped_file");
  constexpr size_t kBytes = 48 << 20;
  std::vector<uint8_t> bytes(kBytes);
  for (size_t i = 0; i < kBytes; ++i) bytes[i] = static_cast<uint8_t>(i * 2654435761u >> 24);
  const uint64_t expected_sum = std::accumulate(bytes.begin(), bytes.end(), uint64_t{0});
  const auto file = MappedFile::open(write_bytes(dir + "/big.bin", bytes));
  bytes = {};
  auto sum = [&] {
    uint64_t s = 0;
    for (size_t i = 0; i < kBytes; ++i) s += file->data()[i];
    return s;
  };
  const int64_t before = current_rss_bytes();
  ASSERT_EQ(sum(), expected_sum);  // faults every page in
  const int64_t touched = current_rss_bytes();
  EXPECT_GT(touched - before, static_cast<int64_t>(kBytes) * 9 / 10);
  file->release_all();
  const int64_t released = current_rss_bytes();
  EXPECT_LT(released - before, static_cast<int64_t>(kBytes) / 10);
  EXPECT_EQ(sum(), expected_sum);  // read back from the file
  std::remove((dir + "/big.bin").c_str());
}

}  // namespace mapped_file_test
}  // namespace ablate::io
