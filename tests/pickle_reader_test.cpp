// The pickle machine on Python's own output: a torch.save-style state dict pickled by CPython's
// Pickler (fake torch classes, protocol 2: memo, shared storages, _metadata BUILD), a large one
// with LONG_BINPUT and LONG1 (generated when python3 is installed), and refused inputs.
#include "core/io/pickle_reader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace pickle_reader_test {

using Kind = PickleValue::Kind;

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

PickleValuePtr run(const std::string& bytes) {
  return unpickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "t.pth: archive/data.pkl");
}

std::string error_of(const std::string& bytes) {
  try {
    run(bytes);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

// CPython 3 pickle.Pickler(protocol=2) of
//   sd = OrderedDict(a.weight=T(FloatStorage "0" x6, 0, [2,3], [3,1]), a.bias=T(BFloat16Storage "1" x4, 0, [4], [1]),
//                    b.t=T(storage "0", 2, [2], [3]), scalar=T(LongStorage "2" x1, 0, [], []))
//   sd._metadata = OrderedDict([("", {"version": 1}), ("a", {"version": 1})])
// with T reducing to torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())
// and storages as persistent ids ("storage", torch.<X>Storage, key, "cpu", numel), as torch.save does.
const std::string kPythonStateDict = from_hex(
    "800263636f6c6c656374696f6e730a4f726465726564446963740a710029527101285808000000612e776569676874710263"
    "746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a71032828580700000073746f726167657104"
    "63746f7263680a466c6f617453746f726167650a71055801000000307106580300000063707571074b06747108514b004b02"
    "4b038671094b034b0186710a8968002952710b74710c52710d5806000000612e62696173710e68032828680463746f726368"
    "0a42466c6f6174313653746f726167650a710f580100000031711068074b04747111514b004b048571124b01857113896800"
    "295271147471155271165803000000622e7471176803282868046805680668074b06747118514b024b028571194b0385711a"
    "8968002952711b74711c52711d58060000007363616c6172711e68032828680463746f7263680a4c6f6e6753746f72616765"
    "0a711f580100000032712068074b01747121514b00292989680029527122747123527124757d712558090000005f6d657461"
    "64617461712668002952712728580000000071287d7129580700000076657273696f6e712a4b0173580100000061712b7d71"
    "2c682a4b01737573622e");

TEST(PickleReaderTest, ReadsAStateDictPickledByPython) {
  const auto top = run(kPythonStateDict);
  ASSERT_EQ(top->kind, Kind::kDict);
  ASSERT_EQ(top->dict.size(), 4u);
  std::vector<std::string> keys;
  for (const auto& [k, v] : top->dict) {
    ASSERT_EQ(k->kind, Kind::kString);
    ASSERT_EQ(v->kind, Kind::kTensor);
    keys.push_back(k->text);
  }
  EXPECT_EQ(keys, std::vector<std::string>({"a.weight", "a.bias", "b.t", "scalar"}));
  const auto& w = top->dict[0].second->tensor;
  EXPECT_EQ(w.storage.key, "0");
  EXPECT_EQ(w.storage.dtype, torch::kFloat);
  EXPECT_EQ(w.storage.type_name, "torch.FloatStorage");
  EXPECT_EQ(w.storage.location, "cpu");
  EXPECT_EQ(w.storage.numel, 6);
  EXPECT_EQ(w.shape, std::vector<int64_t>({2, 3}));
  EXPECT_EQ(w.strides, std::vector<int64_t>({3, 1}));
  const auto& b = top->dict[1].second->tensor;
  EXPECT_EQ(b.storage.dtype, torch::kBFloat16);
  EXPECT_EQ(b.storage.key, "1");
  const auto& t = top->dict[2].second->tensor;  // memoized storage type and strings (BINGET)
  EXPECT_EQ(t.storage.key, "0");
  EXPECT_EQ(t.storage.dtype, torch::kFloat);
  EXPECT_EQ(t.storage_offset, 2);
  EXPECT_EQ(t.strides, std::vector<int64_t>({3}));
  const auto& s = top->dict[3].second->tensor;
  EXPECT_EQ(s.storage.dtype, torch::kLong);
  EXPECT_TRUE(s.shape.empty());
}

TEST(PickleReaderTest, ReadsALargePythonPickleWithLongBinputAndLong1) {
  const std::string py = testing::find_program({"python3"});
  if (py.empty()) GTEST_SKIP() << "python3 is not installed";
  const auto dir = testing::make_scratch_dir("pickle_reader");
  // the same fake torch as the fixture above: 300 tensors (memo past 255) and a 3e9-element storage
  testing::write_text(dir + "/gen.py", R"PY(
import sys, types, pickle, collections
torch = types.ModuleType("torch"); utils = types.ModuleType("torch._utils")
sys.modules["torch"] = torch; sys.modules["torch._utils"] = utils
def _rebuild_tensor_v2(*a): pass
_rebuild_tensor_v2.__module__ = "torch._utils"; utils._rebuild_tensor_v2 = _rebuild_tensor_v2
for n in ["FloatStorage", "BFloat16Storage"]:
    c = type(n, (), {}); c.__module__ = "torch"; setattr(torch, n, c)
class S:
    def __init__(s, t, k, n): s.t, s.k, s.n = t, k, n
class T:
    def __init__(s, st, size, stride): s.st, s.size, s.stride = st, size, stride
    def __reduce_ex__(s, p): return (_rebuild_tensor_v2, (s.st, 0, s.size, s.stride, False, collections.OrderedDict()))
class P(pickle.Pickler):
    def persistent_id(s, o): return ("storage", o.t, o.k, "cpu", o.n) if isinstance(o, S) else None
sd = collections.OrderedDict()
for i in range(300): sd["blocks.%d.w" % i] = T(S(torch.FloatStorage, str(i), 4), (2, 2), (2, 1))
sd["huge"] = T(S(torch.BFloat16Storage, "300", 3000000000), (3000000000,), (1,))
with open(sys.argv[1], "wb") as f: P(f, protocol=2).dump(sd)
)PY");
  const auto r = testing::run_shell(py + " " + dir + "/gen.py " + dir + "/big.pkl");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir + "/big.pkl", std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  const auto top = run(os.str());
  ASSERT_EQ(top->dict.size(), 301u);
  EXPECT_EQ(top->dict[299].first->text, "blocks.299.w");
  EXPECT_EQ(top->dict[299].second->tensor.storage.key, "299");
  EXPECT_EQ(top->dict[300].second->tensor.storage.numel, 3000000000);
  EXPECT_EQ(top->dict[300].second->tensor.shape, std::vector<int64_t>({3000000000}));
}

TEST(PickleReaderTest, UnsupportedOpcodesAndDamageNameTheFile) {
  EXPECT_EQ(error_of(std::string("\x80\x02I42\n.", 7)),
            "t.pth: archive/data.pkl: unsupported pickle opcode 0x49 ('I') at byte 2; a torch.save'd state dict needs "
            "only protocol-2 opcodes");
  auto e = error_of(kPythonStateDict.substr(0, 100));
  EXPECT_NE(e.find("t.pth: archive/data.pkl: the pickle ends at byte 100"), std::string::npos) << e;
  e = error_of(std::string("\x80\x02h\x05.", 5));
  EXPECT_NE(e.find("memo get of index 5, which was never put"), std::string::npos) << e;
  e =
      error_of(std::string("\x80\x02"
                           "ctorch\nFloatStorage\nX\x01\x00\x00\x00"
                           "0Q.",
                           30));
  EXPECT_NE(e.find("a persistent id that is not ('storage'"), std::string::npos) << e;
  e = error_of(std::string("\x80\x09.", 3));
  EXPECT_NE(e.find("pickle protocol 9 is newer than 5"), std::string::npos) << e;
}

TEST(PickleReaderTest, UnknownGlobalsAreNeverCalled) {
  // os.system('x') becomes an opaque object named after the global, nothing runs
  const std::string bytes(
      "\x80\x02"
      "cos\nsystem\nX\x01\x00\x00\x00x\x85R.",
      22);
  const auto v = run(bytes);
  EXPECT_EQ(v->kind, Kind::kObject);
  EXPECT_EQ(v->text, "os.system");
}

TEST(PickleReaderTest, StorageTypeNames) {
  torch::Dtype d;
  ASSERT_TRUE(storage_dtype("BFloat16Storage", &d));
  EXPECT_EQ(d, torch::kBFloat16);
  EXPECT_FALSE(storage_dtype("ComplexFloatStorage", &d));
  EXPECT_EQ(storage_type_name(torch::kHalf), "HalfStorage");
  EXPECT_EQ(storage_type_name(torch::kByte), "ByteStorage");
}

}  // namespace pickle_reader_test
}  // namespace ablate::io
