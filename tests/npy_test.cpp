// .npy reading and writing: exact bytes as np.save writes them, every supported dtype, format
// versions 2.0/3.0, and the messages for bad files (missing, not .npy, Fortran order, big-endian,
// wrong dtype or shape, truncated).
#include "core/io/npy.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace npy_test {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// An .npy file of any version with a hand-written header (padding as NumPy's, data appended).
std::string npy_bytes(int major, const std::string& dict, const std::string& data) {
  const size_t len_width = major == 1 ? 2 : 4;
  std::string header = dict;
  header.append(64 - (6 + 2 + len_width + header.size() + 1) % 64, ' ');
  header.push_back('\n');
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  for (size_t i = 0; i < len_width; ++i) out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return out + header + data;
}

using testing::usage_error_of;

class NpyTest : public ::testing::Test {
 protected:
  std::string dir_ = testing::make_scratch_dir("npy");
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
};

TEST_F(NpyTest, WritesTheBytesNpSaveWrites) {
  // np.save(f, np.arange(6, dtype=np.float32).reshape(2, 3)) with NumPy 1.24: a 128-byte header
  const std::string expected_header =
      std::string("\x93NUMPY\x01\x00v\x00", 10) + "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
      std::string(58, ' ') + "\n";
  write_npy(path("a.npy"), torch::arange(6, torch::kFloat).reshape({2, 3}));
  const std::string bytes = slurp(path("a.npy"));
  ASSERT_EQ(bytes.size(), 128u + 24u);
  EXPECT_EQ(bytes.substr(0, 128), expected_header);
  float v[6];
  std::memcpy(v, bytes.data() + 128, 24);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(v[i], static_cast<float>(i));
  // a 1-D int64 and a 0-d uint8 as NumPy spells their shapes
  write_npy(path("b.npy"), torch::zeros({5}, torch::kLong));
  EXPECT_EQ(slurp(path("b.npy")).substr(10, 60), "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }   ");
  write_npy(path("c.npy"), torch::zeros({}, torch::kByte));
  EXPECT_EQ(slurp(path("c.npy")).substr(10, 57), "{'descr': '|u1', 'fortran_order': False, 'shape': (), }  ");
}

TEST_F(NpyTest, RoundTripsEveryDtypeExactly) {
  torch::manual_seed(3);
  const std::vector<torch::Tensor> tensors = {
      torch::randn({3, 4, 4}, torch::kFloat),
      torch::randn({7, 4}, torch::kDouble),
      torch::randint(-1000, 1000, {5, 4}, torch::kInt),
      torch::randint(-(int64_t{1} << 40), int64_t{1} << 40, {2, 3, 2}, torch::kLong),
      torch::randint(0, 256, {4, 5, 3}, torch::kByte),
      torch::randint(0, 2, {6}, torch::kLong).to(torch::kBool),
      torch::zeros({0, 4}, torch::kFloat),
      torch::tensor(2.5f),
  };
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto file = path("t" + std::to_string(i) + ".npy");
    write_npy(file, tensors[i]);
    const auto back = read_npy(file);
    EXPECT_EQ(back.scalar_type(), tensors[i].scalar_type()) << i;
    EXPECT_EQ(back.sizes(), tensors[i].sizes()) << i;
    EXPECT_TRUE(torch::equal(back, tensors[i])) << i;
  }
  // a non-contiguous view is written in C order
  auto t = torch::arange(12, torch::kInt).reshape({3, 4}).t();
  write_npy(path("t.npy"), t);
  EXPECT_TRUE(torch::equal(read_npy(path("t.npy")), t.contiguous()));
}

TEST_F(NpyTest, ReadsFormatVersions2And3AndDoubleQuotes) {
  std::string data(8, '\0');
  const float values[2] = {1.5f, -2.25f};
  std::memcpy(data.data(), values, 8);
  for (int major : {2, 3}) {
    spit(path("v.npy"), npy_bytes(major, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,)}", data));
    auto t = read_npy(path("v.npy"));
    ASSERT_EQ(t.sizes(), torch::IntArrayRef({2})) << major;
    EXPECT_EQ(t[0].item<float>(), 1.5f);
    EXPECT_EQ(t[1].item<float>(), -2.25f);
  }
  // bool bytes other than 0/1 read as True, as NumPy reads them
  spit(path("b.npy"), npy_bytes(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", std::string("\0\2\1", 3)));
  EXPECT_TRUE(torch::equal(read_npy(path("b.npy")), torch::tensor({false, true, true})));
}

TEST_F(NpyTest, BadFilesAreNamedWithWhatWasExpectedAndFound) {
  const std::string missing = path("missing.npy");
  EXPECT_EQ(usage_error_of([&] { read_npy(missing); }), "cannot open " + missing + ": No such file or directory");

  spit(path("png.npy"), "\x89PNG\r\n\x1a\n and more");
  EXPECT_EQ(usage_error_of([&] { read_npy(path("png.npy")); }),
            path("png.npy") + ": not an .npy file (expected the magic \\x93NUMPY at the start, found bytes 89 50 4e 47 d a "
                              "1a a)");

  spit(path("f.npy"), npy_bytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", std::string(16, '\0')));
  EXPECT_NE(usage_error_of([&] { read_npy(path("f.npy")); }).find(path("f.npy") + ": the array is stored in Fortran order"),
            std::string::npos);

  spit(path("be.npy"), npy_bytes(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", std::string(4, '\0')));
  EXPECT_NE(usage_error_of([&] { read_npy(path("be.npy")); }).find("unsupported dtype '>f4'"), std::string::npos);
  EXPECT_NE(usage_error_of([&] { read_npy(path("be.npy")); }).find("this file is big-endian"), std::string::npos);

  spit(path("f16.npy"), npy_bytes(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", std::string(2, '\0')));
  EXPECT_NE(usage_error_of([&] { read_npy(path("f16.npy")); }).find(path("f16.npy") + ": unsupported dtype '<f2'"),
            std::string::npos);

  spit(path("v4.npy"), npy_bytes(4, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", std::string(4, '\0')));
  EXPECT_EQ(usage_error_of([&] { read_npy(path("v4.npy")); }),
            path("v4.npy") + ": unsupported .npy format version 4.0 (expected 1.0, 2.0 or 3.0)");

  // data cut short: the header promises 5*4*4 floats
  write_npy(path("cut.npy"), torch::zeros({5, 4, 4}));
  const std::string whole = slurp(path("cut.npy"));
  spit(path("cut.npy"), whole.substr(0, whole.size() - 10));
  EXPECT_EQ(usage_error_of([&] { read_npy(path("cut.npy")); }),
            path("cut.npy") + ": truncated .npy file: the header says shape [5, 4, 4] float32 = 320 data bytes, the "
                              "file holds 310");
  // header cut short
  spit(path("cut2.npy"), whole.substr(0, 40));
  EXPECT_EQ(usage_error_of([&] { read_npy(path("cut2.npy")); }),
            path("cut2.npy") + ": truncated .npy file (the header says 118 header bytes; the file has 40 bytes in all)");
}

// Found by fuzz/npy_fuzzer.cpp: the element count of a huge shape overflowed int64 (undefined
// behaviour; 2^32 x 2^32 wrapped to 0 elements, so an empty data section passed the size check and
// LibTorch was asked for a 2^64-element tensor).
TEST_F(NpyTest, ShapesWhoseSizeOverflows64BitsAreRefused) {
  spit(path("wrap.npy"),
       npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", ""));
  EXPECT_EQ(usage_error_of([&] { read_npy(path("wrap.npy")); }),
            path("wrap.npy") + ": the header's shape [4294967296, 4294967296] has more elements than fit in 64 bits");
  // a zero size does not make the rest acceptable
  spit(path("zero.npy"),
       npy_bytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4294967296, 4294967296), }", ""));
  EXPECT_EQ(usage_error_of([&] { read_npy(path("zero.npy")); }),
            path("zero.npy") +
                ": the header's shape [0, 4294967296, 4294967296] has more elements than fit in 64 bits");
  // 2^61 float64 elements fit, their 2^64 bytes do not
  spit(path("bytes.npy"),
       npy_bytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2305843009213693952,), }", ""));
  EXPECT_EQ(usage_error_of([&] { read_npy(path("bytes.npy")); }),
            path("bytes.npy") +
                ": the header's shape [2305843009213693952] of float64 has more bytes than fit in 64 bits");
  // a large shape that fits is still checked against the data the file holds
  spit(path("big.npy"), npy_bytes(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (0, 1099511627776), }", ""));
  EXPECT_EQ(read_npy(path("big.npy")).sizes().vec(), (std::vector<int64_t>{0, 1099511627776}));
}

TEST_F(NpyTest, ExpectationsNameTheExpectedAndFoundShapeAndDtype) {
  const NpyExpect poses{"camera-to-world poses", {torch::kFloat, torch::kDouble}, {-1, 4, 4}, "[N, 4, 4]"};
  write_npy(path("ok.npy"), torch::zeros({9, 4, 4}));
  EXPECT_EQ(read_npy(path("ok.npy"), poses).size(0), 9);
  write_npy(path("int.npy"), torch::zeros({9, 4, 4}, torch::kLong));
  EXPECT_EQ(usage_error_of([&] { read_npy(path("int.npy"), poses); }),
            path("int.npy") + ": expected camera-to-world poses as [N, 4, 4] float32 or float64, found [9, 4, 4] int64");
  write_npy(path("shape.npy"), torch::zeros({9, 3, 4}));
  EXPECT_EQ(usage_error_of([&] { read_npy(path("shape.npy"), poses); }),
            path("shape.npy") + ": expected camera-to-world poses as [N, 4, 4] float32 or float64, found [9, 3, 4] "
                                "float32");
}

}  // namespace npy_test
}  // namespace ablate::io
