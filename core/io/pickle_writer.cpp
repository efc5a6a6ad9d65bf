// pickle_state_dict: protocol-2 opcodes in the order Python's Pickler emits them for torch.save,
// without the memo (every global and string written out; the result unpickles the same).
#include "core/io/pickle_writer.h"

#include <algorithm>
#include <cstdint>

#include "core/io/checkpoint_file_util.h"
#include "core/io/pickle_reader.h"

namespace ablate::io {
namespace {

class Out {
 public:
  void op(char c) { s_.push_back(c); }
  void global(const std::string& module, const std::string& name) {
    op('c');
    s_ += module + "\n" + name + "\n";
  }
  void str(const std::string& v) {  // BINUNICODE
    op('X');
    put_u32(s_, static_cast<uint32_t>(v.size()));
    s_ += v;
  }
  void integer(int64_t v) {  // as Python's save_long: the shortest of BININT1 / BININT2 / BININT / LONG1
    if (v >= 0 && v <= 0xFF) {
      op('K');
      s_.push_back(static_cast<char>(v));
    } else if (v >= 0 && v <= 0xFFFF) {
      op('M');
      put_u16(s_, static_cast<uint16_t>(v));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      put_u32(s_, static_cast<uint32_t>(static_cast<int32_t>(v)));
    } else {
      std::string bytes;  // little-endian two's complement, as few bytes as keep the sign
      uint64_t u = static_cast<uint64_t>(v);
      for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((u >> (8 * i)) & 0xFF));
      while (bytes.size() > 1) {
        const auto last = static_cast<uint8_t>(bytes.back()), prev = static_cast<uint8_t>(bytes[bytes.size() - 2]);
        if ((last == 0x00 && !(prev & 0x80)) || (last == 0xFF && (prev & 0x80)))
          bytes.pop_back();
        else
          break;
      }
      op('\x8a');
      s_.push_back(static_cast<char>(bytes.size()));
      s_ += bytes;
    }
  }
  void int_tuple(const std::vector<int64_t>& v) {
    if (v.empty()) return op(')');
    if (v.size() > 3) op('(');
    for (int64_t x : v) integer(x);
    op(v.size() == 1 ? '\x85' : v.size() == 2 ? '\x86' : v.size() == 3 ? '\x87' : 't');
  }
  std::string& bytes() { return s_; }

 private:
  std::string s_;
};

}  // namespace

std::string pickle_state_dict(const std::vector<PickleTensorEntry>& entries, bool ordered) {
  Out o;
  o.op('\x80');  // PROTO 2
  o.op('\x02');
  if (ordered) {
    o.global("collections", "OrderedDict");
    o.op(')');
    o.op('R');
  } else {
    o.op('}');  // EMPTY_DICT
  }
  if (!entries.empty()) o.op('(');
  for (const auto& e : entries) {
    std::vector<int64_t> strides(e.shape.size(), 1);  // contiguous, as torch: sizes 0 and 1 count as 1
    int64_t numel = 1, stride = 1;
    for (size_t i = e.shape.size(); i-- > 0;) {
      strides[i] = stride;
      stride *= std::max<int64_t>(e.shape[i], 1);
      numel *= e.shape[i];
    }
    o.str(e.name);
    o.global("torch._utils", "_rebuild_tensor_v2");
    o.op('(');
    o.op('(');  // persistent id
    o.str("storage");
    o.global("torch", storage_type_name(e.dtype));
    o.str(e.storage_key);
    o.str("cpu");
    o.integer(numel);
    o.op('t');
    o.op('Q');     // BINPERSID
    o.integer(0);  // storage offset
    o.int_tuple(e.shape);
    o.int_tuple(strides);
    o.op('\x89');  // requires_grad False
    o.global("collections", "OrderedDict");
    o.op(')');
    o.op('R');  // backward hooks
    o.op('t');
    o.op('R');
  }
  if (!entries.empty()) o.op('u');  // SETITEMS
  o.op('.');
  return o.bytes();
}

}  // namespace ablate::io
