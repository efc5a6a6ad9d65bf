// safetensors: bit-exact round trips of every dtype, the writer's exact bytes (sorted, aligned,
// deterministic), files laid out by another writer, zero-copy views, and corrupt files refused
// with the file (and key) named.
#include "core/io/safetensors.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace safetensors_test {

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

// A file from a header text and data bytes, as any writer might lay it out.
std::string make_file(const std::string& header, const std::string& data) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xFF));
  return out + header + data;
}

using testing::usage_error_of;

std::vector<NamedTensor> every_dtype() {
  torch::manual_seed(3);
  auto f = torch::randn({3, 5}, torch::kDouble);
  return {{"f64", f},
          {"f32", f.to(torch::kFloat).t()},  // non-contiguous input
          {"f16", f.to(torch::kHalf)},
          {"bf16", f.to(torch::kBFloat16)},
          {"i64", torch::arange(-6, 6, torch::kLong).view({2, 2, 3})},
          {"i32", torch::tensor({-2147483647 - 1, 0, 2147483647}, torch::kInt)},
          {"i16", torch::tensor({-32768, 7, 32767}, torch::kShort)},
          {"i8", torch::tensor({-128, 1, 127}, torch::kChar)},
          {"u8", torch::tensor({0, 1, 255}, torch::kByte)},
          {"bool", torch::tensor({true, false, true})},
          {"scalar", torch::tensor(2.5f)},
          {"empty", torch::zeros({0, 4}, torch::kFloat)}};
}

TEST(SafetensorsTest, RoundTripIsBitExactForEveryDtype) {
  const auto dir = testing::make_scratch_dir("safetensors");
  const auto tensors = every_dtype();
  write_safetensors(dir + "/m.safetensors", tensors, {{"format", "pt"}});
  SafetensorsReader r(dir + "/m.safetensors");
  ASSERT_EQ(r.tensors().size(), tensors.size());
  EXPECT_EQ(r.metadata().at("format"), "pt");
  for (const auto& t : tensors) {
    const auto v = r.view(t.name);
    EXPECT_EQ(v.scalar_type(), t.tensor.scalar_type()) << t.name;
    EXPECT_EQ(v.sizes(), t.tensor.sizes()) << t.name;
    EXPECT_TRUE(torch::equal(v, t.tensor)) << t.name;
  }
  EXPECT_EQ(r.find("bf16")->dtype_name, "BF16");
  EXPECT_EQ(r.find("nope"), nullptr);
}

TEST(SafetensorsTest, WriterBytesAreSortedAlignedAndExact) {
  const auto dir = testing::make_scratch_dir("safetensors");
  // "b" (u8) is listed first; the F32 tensor "a" must still come first in the data (larger elements)
  write_safetensors(dir + "/x.safetensors",
                    {{"b", torch::tensor({9}, torch::kByte)}, {"a", torch::tensor({1.0f, 2.0f})}});
  const std::string header =
      R"({"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},"b":{"data_offsets":[8,9],"dtype":"U8","shape":[1]}})";
  std::string padded = header;
  padded.append((8 - padded.size() % 8) % 8, ' ');
  const float a[2] = {1.0f, 2.0f};
  const std::string expected = make_file(padded, std::string(reinterpret_cast<const char*>(a), 8) + "\x09");
  EXPECT_EQ(read_all(dir + "/x.safetensors"), expected);
  EXPECT_EQ((8 + padded.size()) % 8, 0u);
}

TEST(SafetensorsTest, SameTensorsInAnotherOrderGiveTheSameBytes) {
  const auto dir = testing::make_scratch_dir("safetensors");
  auto tensors = every_dtype();
  write_safetensors(dir + "/one.safetensors", tensors);
  std::reverse(tensors.begin(), tensors.end());
  write_safetensors(dir + "/two.safetensors", tensors);
  EXPECT_EQ(read_all(dir + "/one.safetensors"), read_all(dir + "/two.safetensors"));
}

TEST(SafetensorsTest, ReadsAnotherWritersLayoutIncludingMisalignedData) {
  // unsorted keys, a U8 first so the F32 after it starts at an odd address (read as a copy)
  const auto dir = testing::make_scratch_dir("safetensors");
  const std::string header =
      R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[1,9]},"__metadata__":{"k":"v"},"u":{"dtype":"U8","shape":[],"data_offsets":[0,1]}})";
  const float w[2] = {-3.5f, 1e-30f};
  write_all(dir + "/o.safetensors", make_file(header, "\x05" + std::string(reinterpret_cast<const char*>(w), 8)));
  SafetensorsReader r(dir + "/o.safetensors");
  EXPECT_EQ(r.tensors()[0].key, "u");
  EXPECT_EQ(r.view("u").item<uint8_t>(), 5);
  const auto v = r.view("w");
  EXPECT_EQ(v[0].item<float>(), -3.5f);
  EXPECT_EQ(v[1].item<float>(), 1e-30f);
  EXPECT_EQ(r.metadata().at("k"), "v");
  EXPECT_EQ(r.header_bytes().substr(8), header);
}

TEST(SafetensorsTest, ViewsPointIntoTheMappingAndOutliveTheReader) {
  const auto dir = testing::make_scratch_dir("safetensors");
  write_safetensors(dir + "/v.safetensors", {{"x", torch::arange(1000, torch::kFloat)}});
  torch::Tensor v;
  {
    SafetensorsReader r(dir + "/v.safetensors");
    v = r.view("x");
    const auto* base = r.file()->data();
    const auto* p = static_cast<const uint8_t*>(v.data_ptr());
    EXPECT_TRUE(p >= base && p + 4000 <= base + r.file()->size()) << "a view, not a copy";
  }
  EXPECT_TRUE(torch::equal(v, torch::arange(1000, torch::kFloat)));  // the mapping lives on with the view
}

TEST(SafetensorsTest, CorruptFilesAreRefusedNamingFileAndKey) {
  const auto dir = testing::make_scratch_dir("safetensors");
  const std::string p = dir + "/bad.safetensors";
  write_safetensors(p, {{"layer.weight", torch::ones({4, 4})}, {"layer.bias", torch::ones({4})}});
  const std::string good = read_all(p);

  write_all(p, good.substr(0, good.size() - 3));  // truncated
  auto e = usage_error_of([&] { SafetensorsReader r(p); });
  EXPECT_NE(e.find(p + ": key 'layer.weight'"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;

  write_all(p, good.substr(0, 5));
  e = usage_error_of([&] { SafetensorsReader r(p); });
  EXPECT_NE(e.find(p + ": 5 bytes is too short"), std::string::npos) << e;

  write_all(p, make_file("{\"a\": [", ""));
  e = usage_error_of([&] { SafetensorsReader r(p); });
  EXPECT_NE(e.find(p + ": the JSON header does not parse"), std::string::npos) << e;

  std::string huge = good;
  huge[0] = '\xff', huge[1] = '\xff', huge[2] = '\xff', huge[3] = '\x7f';
  write_all(p, huge);
  e = usage_error_of([&] { SafetensorsReader r(p); });
  EXPECT_NE(e.find("over the format's limit"), std::string::npos) << e;

  write_all(p, make_file(R"({"q":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", "x"));
  e = usage_error_of([&] { SafetensorsReader r(p); });
  EXPECT_NE(e.find(p + ": key 'q': dtype 'F8_E4M3' is not supported"), std::string::npos) << e;

  write_all(p, make_file(R"({"q":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')));
  e = usage_error_of([&] { SafetensorsReader r(p); });
  EXPECT_NE(e.find(p + ": key 'q': data_offsets [0, 8) hold 8 bytes, but shape [3] of F32 needs 12"), std::string::npos)
      << e;

  write_all(
      p,
      make_file(
          R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})",
          std::string(3, '\0')));
  e = usage_error_of([&] { SafetensorsReader r(p); });
  EXPECT_NE(e.find(p + ": key 'b' starts at data offset 1, but the previous tensor ends at 2 (overlapping tensors)"),
            std::string::npos)
      << e;

  write_all(p, make_file(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", std::string(5, '\0')));
  e = usage_error_of([&] { SafetensorsReader r(p); });
  EXPECT_NE(e.find(p + ": 3 bytes follow the last tensor's data"), std::string::npos) << e;

  write_all(p, make_file(R"({"a":{"dtype":"U8","shape":[-2],"data_offsets":[0,2]}})", std::string(2, '\0')));
  e = usage_error_of([&] { SafetensorsReader r(p); });
  EXPECT_NE(e.find(p + ": key 'a' shape entry must be a non-negative integer"), std::string::npos) << e;
}

TEST(SafetensorsTest, WriterRefusesDuplicateNames) {
  const auto dir = testing::make_scratch_dir("safetensors");
  const auto e = usage_error_of([&] {
    write_safetensors(dir + "/d.safetensors", {{"a", torch::ones({1})}, {"a", torch::ones({2})}});
  });
  EXPECT_NE(e.find("tensor name 'a' given twice"), std::string::npos) << e;
  EXPECT_FALSE(testing::run_shell("ls " + dir + "/d.safetensors*").exit_code == 0) << "no partial file is left";
}

TEST(SafetensorsTest, WritesTheStoredDtypeWhenAsked) {
  const auto dir = testing::make_scratch_dir("safetensors");
  const auto x = torch::randn({8, 8});
  write_safetensors(dir + "/c.safetensors", {{"x", x, torch::kBFloat16}});
  SafetensorsReader r(dir + "/c.safetensors");
  EXPECT_EQ(r.find("x")->dtype_name, "BF16");
  EXPECT_TRUE(torch::equal(r.view("x"), x.to(torch::kBFloat16)));
}

}  // namespace safetensors_test
}  // namespace ablate::io
