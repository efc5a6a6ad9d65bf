// torch.save archives: files written by LibTorch's own torch::pickle_save read back bit-exact
// (strided and shared storages too), our writer's files read by LibTorch's torch::pickle_load and
// by our reader, their zip layout byte by byte, and broken archives refused naming file and key.
#include "core/io/torch_archive.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/io/pickle_writer.h"
#include "core/io/zip_format.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace torch_archive_test {

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

// Saves a dict with LibTorch's torch::pickle_save (the zip format torch.load reads).
std::string libtorch_save(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& items) {
  c10::Dict<std::string, at::Tensor> dict;
  for (const auto& [k, v] : items) dict.insert(k, v);
  const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(dict));
  write_all(path, std::string(bytes.data(), bytes.size()));
  return path;
}

std::vector<NamedTensor> sample_tensors() {
  torch::manual_seed(5);
  return {{"encoder.conv1.weight", torch::randn({4, 3, 3, 3, 3})},
          {"encoder.conv1.bias", torch::randn({4}).to(torch::kBFloat16)},
          {"norm.gamma", torch::randn({4, 1, 1, 1}).to(torch::kHalf)},
          {"steps", torch::tensor(int64_t{123456789012})},
          {"ids", torch::arange(10, torch::kInt)},
          {"d", torch::randn({2, 2}, torch::kDouble)}};
}

TEST(TorchArchiveTest, ReadsLibTorchPickleSave) {
  const auto dir = testing::make_scratch_dir("torch_archive");
  std::vector<std::pair<std::string, torch::Tensor>> items;
  for (const auto& t : sample_tensors()) items.emplace_back(t.name, t.tensor);
  TorchArchiveReader r(libtorch_save(dir + "/lt.pth", items));
  ASSERT_EQ(r.tensors().size(), items.size());
  for (const auto& [k, v] : items) {
    const auto view = r.view(k);
    EXPECT_EQ(view.scalar_type(), v.scalar_type()) << k;
    EXPECT_TRUE(torch::equal(view, v)) << k;
  }
  EXPECT_EQ(r.find("norm.gamma")->dtype_name, "torch.HalfStorage");
}

TEST(TorchArchiveTest, ReadsStridedAndSharedStoragesFromLibTorch) {
  const auto dir = testing::make_scratch_dir("torch_archive");
  auto base = torch::arange(24, torch::kFloat).view({4, 6});
  const auto transposed = base.t();         // strides (1, 6)
  const auto window = base.slice(1, 2, 5);  // offset 2, strides (6, 1)
  TorchArchiveReader r(libtorch_save(dir + "/s.pth", {{"t", transposed}, {"w", window}, {"base", base}}));
  EXPECT_TRUE(torch::equal(r.view("t"), transposed));
  EXPECT_TRUE(torch::equal(r.view("w"), window));
  EXPECT_TRUE(torch::equal(r.view("base"), base));
}

TEST(TorchArchiveTest, OwnWriterRoundTripsAndLibTorchReadsIt) {
  const auto dir = testing::make_scratch_dir("torch_archive");
  const auto tensors = sample_tensors();
  write_torch_archive(dir + "/Wan2.1_VAE.pth", tensors);
  TorchArchiveReader r(dir + "/Wan2.1_VAE.pth");
  EXPECT_EQ(r.archive_name(), "Wan2.1_VAE");
  for (const auto& t : tensors) EXPECT_TRUE(torch::equal(r.view(t.name), t.tensor)) << t.name;
  // LibTorch's reader (PyTorchStreamReader + its unpickler, the zip and storage path torch.load
  // takes in Python) on the plain-dict form: its unpickler reads any OrderedDict as None
  TorchArchiveOptions plain;
  plain.ordered_dict = false;
  write_torch_archive(dir + "/plain.pth", tensors, plain);
  const std::string bytes = read_all(dir + "/plain.pth");
  const auto loaded = torch::jit::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toGenericDict();
  ASSERT_EQ(loaded.size(), tensors.size());
  for (const auto& t : tensors) {
    const auto v = loaded.at(t.name).toTensor();
    EXPECT_EQ(v.scalar_type(), t.tensor.scalar_type()) << t.name;
    EXPECT_TRUE(torch::equal(v, t.tensor)) << t.name;
  }
}

TEST(TorchArchiveTest, WriterZipLayout) {
  const auto dir = testing::make_scratch_dir("torch_archive");
  const auto tensors = sample_tensors();
  write_torch_archive(dir + "/m.pth", tensors);
  TorchArchiveReader r(dir + "/m.pth");
  std::vector<std::string> names;
  for (const auto& e : r.zip().entries()) {
    names.push_back(e.name);
    EXPECT_EQ(e.data_offset % 64, 0u) << e.name;
    EXPECT_EQ(e.method, 0) << e.name;
    EXPECT_EQ(e.crc32, zip::crc32(r.zip().data(e), e.size)) << e.name;
  }
  EXPECT_EQ(names, std::vector<std::string>({"m/data.pkl", "m/byteorder", "m/data/0", "m/data/1", "m/data/2",
                                             "m/data/3", "m/data/4", "m/data/5", "m/version"}));
  EXPECT_EQ(r.zip().read(*r.zip().find("m/version")), "3\n");
  EXPECT_EQ(r.zip().read(*r.zip().find("m/byteorder")), "little");
  EXPECT_EQ(r.zip().find("m/data/1")->size, 4u * 2);  // bf16 bias: the bytes of the tensor only
  std::vector<PickleTensorEntry> entries;
  for (size_t i = 0; i < tensors.size(); ++i) {
    entries.push_back({tensors[i].name, std::to_string(i), tensors[i].stored_dtype(), tensors[i].tensor.sizes().vec()});
  }
  EXPECT_EQ(r.pickle_bytes(), pickle_state_dict(entries));
}

TEST(TorchArchiveTest, SameTensorsGiveTheSameBytes) {
  const auto dir = testing::make_scratch_dir("torch_archive");
  const auto tensors = sample_tensors();
  TorchArchiveOptions o;
  o.archive_name = "m";
  write_torch_archive(dir + "/a.pth", tensors, o);
  write_torch_archive(dir + "/b.pth", tensors, o);
  EXPECT_EQ(read_all(dir + "/a.pth"), read_all(dir + "/b.pth"));
}

TEST(TorchArchiveTest, PythonZipfileAcceptsTheArchive) {
  const std::string py = testing::find_program({"python3"});
  if (py.empty()) GTEST_SKIP() << "python3 is not installed";
  const auto dir = testing::make_scratch_dir("torch_archive");
  write_torch_archive(dir + "/x.pth", {{"w", torch::tensor({1.5f, -2.0f})}});
  const auto r = testing::run_shell(py +
                                   " -c \"import zipfile,struct,sys; z=zipfile.ZipFile(sys.argv[1]); "
                                   "assert z.testzip() is None; print(struct.unpack('<2f', z.read('x/data/0')))\" " +
                                   dir + "/x.pth");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "(1.5, -2.0)\n");
}

TEST(TorchArchiveTest, BrokenArchivesNameFileAndKey) {
  const auto dir = testing::make_scratch_dir("torch_archive");
  const std::string p = dir + "/bad.pth";
  write_torch_archive(p, sample_tensors());
  const std::string good = read_all(p);

  write_all(p, good.substr(0, good.size() / 2));
  auto e = usage_error_of([&] { TorchArchiveReader r(p); });
  EXPECT_EQ(e, p + ": a zip archive without its end-of-central-directory record; the file is truncated");

  {  // a record missing: the pickle names data/0 and data/1, only data/0 is stored
    ZipWriter z(p);
    const std::string pkl = pickle_state_dict({{"a", "0", torch::kFloat, {2}}, {"b.weight", "1", torch::kFloat, {2}}});
    z.add("bad/data.pkl", pkl.data(), pkl.size());
    const float data[2] = {1, 2};
    z.add("bad/data/0", data, 8);
    z.finish();
  }
  e = usage_error_of([&] { TorchArchiveReader r(p); });
  EXPECT_EQ(e, p + ": key 'b.weight' needs the record 'bad/data/1', which the archive lacks; the file is truncated or "
                   "corrupt");

  {  // a record too short for its storage
    ZipWriter z(p);
    const std::string pkl = pickle_state_dict({{"a", "0", torch::kFloat, {4}}});
    z.add("bad/data.pkl", pkl.data(), pkl.size());
    z.add("bad/data/0", "12345678", 8);
    z.finish();
  }
  e = usage_error_of([&] { TorchArchiveReader r(p); });
  EXPECT_NE(e.find(p + ": key 'a': the record 'bad/data/0' holds 8 bytes, but its storage needs 16"), std::string::npos)
      << e;

  {  // a pickle of a dict of ints
    ZipWriter z(p);
    const std::string pkl(
        "\x80\x02}q\x00(X\x01\x00\x00\x00"
        "aK\x01u.",
        16);
    z.add("bad/data.pkl", pkl.data(), pkl.size());
    z.finish();
  }
  e = usage_error_of([&] { TorchArchiveReader r(p); });
  EXPECT_EQ(e, p + ": the pickle holds no tensors (a dict of 1 entries, none of them a tensor); expected a state dict "
                   "saved with torch.save");

  {  // no data.pkl
    ZipWriter z(p);
    z.add("bad/other", "x", 1);
    z.finish();
  }
  e = usage_error_of([&] { TorchArchiveReader r(p); });
  EXPECT_EQ(e, p + ": a zip archive without a <name>/data.pkl record; not a torch.save file");
}

TEST(TorchArchiveTest, NestedStateDictIsExplained) {
  const auto dir = testing::make_scratch_dir("torch_archive");
  c10::Dict<std::string, c10::Dict<std::string, at::Tensor>> outer;
  c10::Dict<std::string, at::Tensor> inner;
  inner.insert("w", torch::ones({2}));
  outer.insert("model", inner);
  const std::vector<char> bytes = torch::jit::pickle_save(c10::IValue(outer));
  write_all(dir + "/n.pth", std::string(bytes.data(), bytes.size()));
  const auto e = usage_error_of([&] { TorchArchiveReader r(dir + "/n.pth"); });
  EXPECT_NE(e.find("holds no tensors (a dict whose tensors are nested under key 'model'"), std::string::npos) << e;
}

}  // namespace torch_archive_test
}  // namespace ablate::io
