// CRC-32: the standard check value, and chunked updates equal one pass.
#include "core/io/zip_format.h"

#include <gtest/gtest.h>

#include <string>

namespace ablate::io::zip {
namespace zip_format_test {

TEST(ZipFormatTest, Crc32CheckValues) {
  EXPECT_EQ(crc32("123456789", 9), 0xCBF43926u);  // the CRC-32/ISO-HDLC check value
  EXPECT_EQ(crc32("", 0), 0u);
  EXPECT_EQ(crc32("a", 1), 0xE8B7BE43u);
  const std::string text = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(crc32(text.data(), text.size()), 0x414FA339u);
}

TEST(ZipFormatTest, Crc32InPiecesEqualsOnePass) {
  std::string data(1000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31 + 7);
  const uint32_t whole = crc32(data.data(), data.size());
  uint32_t c = 0;
  for (size_t i = 0; i < data.size(); i += 37) c = crc32(data.data() + i, std::min<size_t>(37, data.size() - i), c);
  EXPECT_EQ(c, whole);
}

}  // namespace zip_format_test
}  // namespace ablate::io::zip
