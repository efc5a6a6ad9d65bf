// pickle_state_dict: exact opcodes for one tensor, a round trip through the pickle machine, and
// (when python3 is installed) CPython's Unpickler reading it with stand-ins for the torch globals.
#include "core/io/pickle_writer.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/io/pickle_reader.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace pickle_writer_test {

TEST(PickleWriterTest, ExactOpcodesForOneTensor) {
  const std::string got = pickle_state_dict({{"w", "0", torch::kBFloat16, {2, 3}}});
  const std::string expected = std::string("\x80\x02", 2) + "ccollections\nOrderedDict\n)R(" +
                               std::string("X\x01\x00\x00\x00", 5) + "w" + "ctorch._utils\n_rebuild_tensor_v2\n((" +
                               std::string("X\x07\x00\x00\x00", 5) + "storage" + "ctorch\nBFloat16Storage\n" +
                               std::string("X\x01\x00\x00\x00", 5) + "0" + std::string("X\x03\x00\x00\x00", 5) + "cpu" +
                               "K\x06tQ" + std::string("K\x00", 2) + "K\x02K\x03\x86" + "K\x03K\x01\x86" + "\x89" +
                               "ccollections\nOrderedDict\n)RtRu.";
  EXPECT_EQ(got, expected);
}

TEST(PickleWriterTest, RoundTripThroughThePickleMachine) {
  const std::vector<PickleTensorEntry> entries = {{"a", "0", torch::kFloat, {}},
                                                  {"b.c", "1", torch::kHalf, {70000, 0, 3}},
                                                  {"big", "2", torch::kByte, {int64_t{3} << 31}}};
  const std::string bytes = pickle_state_dict(entries);
  const auto top = unpickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "test");
  ASSERT_EQ(top->dict.size(), 3u);
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(top->dict[i].first->text, entries[i].name);
    const auto& t = top->dict[i].second->tensor;
    EXPECT_EQ(t.storage.key, entries[i].storage_key);
    EXPECT_EQ(t.storage.dtype, entries[i].dtype);
    EXPECT_EQ(t.shape, entries[i].shape);
  }
  EXPECT_EQ(top->dict[1].second->tensor.strides, std::vector<int64_t>({3, 3, 1}));  // as torch: size 0 counts as 1
  EXPECT_EQ(top->dict[1].second->tensor.storage.numel, 0);
  EXPECT_EQ(top->dict[2].second->tensor.storage.numel, int64_t{3} << 31);  // LONG1
  EXPECT_EQ(top->dict[0].second->tensor.storage.numel, 1);
}

TEST(PickleWriterTest, CPythonUnpicklesIt) {
  const std::string py = testing::find_program({"python3"});
  if (py.empty()) GTEST_SKIP() << "python3 is not installed";
  const auto dir = testing::make_scratch_dir("pickle_writer");
  const std::string bytes = pickle_state_dict({{"x.w", "0", torch::kFloat, {4, 5}}, {"y", "1", torch::kLong, {}}});
  std::ofstream(dir + "/d.pkl", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  testing::write_text(dir + "/load.py", R"PY(
import pickle, sys, collections
def rebuild(storage, offset, size, stride, requires_grad, hooks):
    return (storage, offset, size, stride, requires_grad, dict(hooks))
class U(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"): return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"): return rebuild
        if module == "torch" and name.endswith("Storage"): return name
        raise pickle.UnpicklingError("unexpected global %s.%s" % (module, name))
    def persistent_load(self, pid): return pid
sd = U(open(sys.argv[1], "rb")).load()
print(type(sd).__name__, list(sd.items()))
)PY");
  const auto r = testing::run_shell(py + " " + dir + "/load.py " + dir + "/d.pkl");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output,
            "OrderedDict [('x.w', (('storage', 'FloatStorage', '0', 'cpu', 20), 0, (4, 5), (5, 1), False, {})), "
            "('y', (('storage', 'LongStorage', '1', 'cpu', 1), 0, (), (), False, {}))]\n");
}

}  // namespace pickle_writer_test
}  // namespace ablate::io
