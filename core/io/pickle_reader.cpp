// The pickle machine: a stack, a mark stack and a memo; REDUCE knows the few globals a state dict
// uses, every other global becomes an opaque object (never called).
#include "core/io/pickle_reader.h"

#include <cstring>
#include <map>
#include <unordered_map>

#include "core/error.h"

namespace ablate::io {
namespace {

using Kind = PickleValue::Kind;

struct StorageName {
  const char* name;
  torch::Dtype dtype;
};
// clang-format off
constexpr StorageName kStorages[] = {
    {"FloatStorage", torch::kFloat},   {"DoubleStorage", torch::kDouble}, {"HalfStorage", torch::kHalf},
    {"BFloat16Storage", torch::kBFloat16}, {"LongStorage", torch::kLong}, {"IntStorage", torch::kInt},
    {"ShortStorage", torch::kShort},   {"CharStorage", torch::kChar},     {"ByteStorage", torch::kByte},
    {"BoolStorage", torch::kBool},     {"UntypedStorage", torch::kByte}};
// clang-format on

PickleValuePtr make(Kind kind) {
  auto v = std::make_shared<PickleValue>();
  v->kind = kind;
  return v;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kBytes:
      return "bytes";
    case Kind::kTuple:
      return "tuple";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return "dict";
    case Kind::kGlobal:
      return "global";
    case Kind::kStorage:
      return "storage";
    case Kind::kTensor:
      return "tensor";
    case Kind::kObject:
      return "object";
  }
  return "?";
}

class Machine {
 public:
  Machine(const uint8_t* data, size_t size, std::string where) : p_(data), size_(size), where_(std::move(where)) {}

  PickleValuePtr run() {
    while (true) {
      const size_t at = pos_;
      const uint8_t op = take(1)[0];
      switch (op) {
        case 0x80: {  // PROTO
          const uint8_t v = take(1)[0];
          check(v <= 5, "pickle protocol ", int(v), " is newer than 5");
          break;
        }
        case 0x95:
          take(8);
          break;     // FRAME: a length hint only
        case '.': {  // STOP
          check(!stack_.empty(), "STOP with an empty stack");
          return stack_.back();
        }
        case '(':
          marks_.push_back(stack_.size());
          break;  // MARK
        case '0':
          pop();
          break;  // POP
        case '1':
          pop_mark();
          break;     // POP_MARK
        case '2': {  // DUP
          check(!stack_.empty(), "DUP with an empty stack");
          push(stack_.back());
          break;
        }
        case 'N':
          push(make(Kind::kNone));
          break;
        case 0x88:
          push(boolean(true));
          break;  // NEWTRUE
        case 0x89:
          push(boolean(false));
          break;  // NEWFALSE
        case 'J':
          push(integer(static_cast<int32_t>(le(take(4), 4))));
          break;  // BININT
        case 'K':
          push(integer(take(1)[0]));
          break;  // BININT1
        case 'M':
          push(integer(static_cast<int64_t>(le(take(2), 2))));
          break;  // BININT2
        case 0x8a:
          push(long_int(take(1)[0]));
          break;  // LONG1
        case 0x8b:
          push(long_int(le(take(4), 4)));
          break;     // LONG4
        case 'G': {  // BINFLOAT (big-endian)
          const uint8_t* b = take(8);
          uint64_t bits = 0;
          for (int i = 0; i < 8; ++i) bits = (bits << 8) | b[i];
          auto v = make(Kind::kFloat);
          std::memcpy(&v->real, &bits, 8);
          push(v);
          break;
        }
        case 'X':
          push(text(Kind::kString, le(take(4), 4)));
          break;  // BINUNICODE
        case 0x8c:
          push(text(Kind::kString, take(1)[0]));
          break;  // SHORT_BINUNICODE
        case 0x8d:
          push(text(Kind::kString, le(take(8), 8)));
          break;  // BINUNICODE8
        case 'T':
          push(text(Kind::kString, le(take(4), 4)));
          break;  // BINSTRING
        case 'U':
          push(text(Kind::kString, take(1)[0]));
          break;  // SHORT_BINSTRING
        case 'B':
          push(text(Kind::kBytes, le(take(4), 4)));
          break;  // BINBYTES
        case 'C':
          push(text(Kind::kBytes, take(1)[0]));
          break;  // SHORT_BINBYTES
        case 0x8e:
          push(text(Kind::kBytes, le(take(8), 8)));
          break;  // BINBYTES8
        case ')':
          push(make(Kind::kTuple));
          break;  // EMPTY_TUPLE
        case 't':
          push(sequence(Kind::kTuple, pop_mark()));
          break;  // TUPLE
        case 0x85:
          push(sequence(Kind::kTuple, pop_n(1)));
          break;  // TUPLE1
        case 0x86:
          push(sequence(Kind::kTuple, pop_n(2)));
          break;  // TUPLE2
        case 0x87:
          push(sequence(Kind::kTuple, pop_n(3)));
          break;  // TUPLE3
        case ']':
          push(make(Kind::kList));
          break;  // EMPTY_LIST
        case 'l':
          push(sequence(Kind::kList, pop_mark()));
          break;     // LIST
        case 'a': {  // APPEND
          auto v = pop();
          top(Kind::kList, "APPEND")->items.push_back(v);
          break;
        }
        case 'e': {  // APPENDS
          auto vs = pop_mark();
          auto& l = top(Kind::kList, "APPENDS")->items;
          l.insert(l.end(), vs.begin(), vs.end());
          break;
        }
        case '}':
          push(make(Kind::kDict));
          break;     // EMPTY_DICT
        case 'd': {  // DICT
          auto d = make(Kind::kDict);
          set_items(d, pop_mark());
          push(d);
          break;
        }
        case 's': {  // SETITEM
          auto v = pop();
          auto k = pop();
          set_items(top(Kind::kDict, "SETITEM"), {k, v});
          break;
        }
        case 'u': {  // SETITEMS
          auto kv = pop_mark();
          set_items(top(Kind::kDict, "SETITEMS"), kv);
          break;
        }
        case 'c': {  // GLOBAL "module\nname\n"
          auto g = make(Kind::kGlobal);
          const std::string module = line();  // two statements: operand order of + is unspecified
          g->text = module + "." + line();
          push(g);
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          auto name = pop(), module = pop();
          check(name->kind == Kind::kString && module->kind == Kind::kString, "STACK_GLOBAL expects two strings");
          auto g = make(Kind::kGlobal);
          g->text = module->text + "." + name->text;
          push(g);
          break;
        }
        case 'q':
          put(take(1)[0]);
          break;  // BINPUT
        case 'r':
          put(le(take(4), 4));
          break;  // LONG_BINPUT
        case 0x94:
          put(memo_.size());
          break;  // MEMOIZE
        case 'h':
          push(get(take(1)[0]));
          break;  // BINGET
        case 'j':
          push(get(le(take(4), 4)));
          break;  // LONG_BINGET
        case 'Q':
          push(persistent_load(pop()));
          break;     // BINPERSID
        case 'R': {  // REDUCE
          auto args = pop();
          auto fn = pop();
          push(reduce(fn, args));
          break;
        }
        case 0x81: {  // NEWOBJ: cls.__new__(cls, *args)
          auto args = pop();
          auto cls = pop();
          push(reduce(cls, args));
          break;
        }
        case 'b':
          pop();
          break;  // BUILD: the state (an OrderedDict's _metadata, a tensor's hooks) is not needed
        default:
          fail("unsupported pickle opcode 0x", hex(op),
               (op >= 0x20 && op < 0x7f) ? std::string(" ('") + char(op) + "')" : "", " at byte ", at,
               "; a torch.save'd state dict needs only protocol-2 opcodes");
      }
    }
  }

 private:
  template <typename... Args>
  [[noreturn]] void fail(const Args&... args) const {
    throw UsageError(c10::str(where_, ": ", args...));
  }
  template <typename... Args>
  void check(bool cond, const Args&... args) const {
    if (!cond) fail(args..., " (at byte ", pos_, ")");
  }
  static std::string hex(uint8_t v) {
    const char* d = "0123456789abcdef";
    return {d[v >> 4], d[v & 15]};
  }
  static uint64_t le(const uint8_t* b, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | b[i];
    return v;
  }
  const uint8_t* take(uint64_t n) {
    if (n > size_ - pos_)
      fail("the pickle ends at byte ", size_, " in the middle of an opcode; the file is truncated or corrupt");
    const uint8_t* r = p_ + pos_;
    pos_ += n;
    return r;
  }
  std::string line() {
    const void* nl = std::memchr(p_ + pos_, '\n', size_ - pos_);
    if (nl == nullptr) fail("the pickle ends inside a GLOBAL name; the file is truncated or corrupt");
    const size_t n = static_cast<const uint8_t*>(nl) - (p_ + pos_);
    std::string s(reinterpret_cast<const char*>(take(n)), n);
    take(1);
    return s;
  }
  PickleValuePtr boolean(bool b) {
    auto v = make(Kind::kBool);
    v->boolean = b;
    return v;
  }
  PickleValuePtr integer(int64_t i) {
    auto v = make(Kind::kInt);
    v->integer = i;
    return v;
  }
  PickleValuePtr long_int(uint64_t n) {
    check(n <= 8, "an integer of ", n, " bytes does not fit in 64 bits");
    const uint8_t* b = take(n);
    uint64_t u = le(b, static_cast<int>(n));
    if (n > 0 && n < 8 && (b[n - 1] & 0x80)) u |= ~uint64_t{0} << (8 * n);  // sign-extend
    return integer(static_cast<int64_t>(u));
  }
  PickleValuePtr text(Kind kind, uint64_t n) {
    auto v = make(kind);
    const uint8_t* b = take(n);
    v->text.assign(reinterpret_cast<const char*>(b), n);
    return v;
  }
  static PickleValuePtr sequence(Kind kind, std::vector<PickleValuePtr> items) {
    auto v = make(kind);
    v->items = std::move(items);
    return v;
  }
  void push(PickleValuePtr v) { stack_.push_back(std::move(v)); }
  PickleValuePtr pop() {
    check(!stack_.empty() && (marks_.empty() || stack_.size() > marks_.back()), "pop from an empty stack");
    auto v = stack_.back();
    stack_.pop_back();
    return v;
  }
  std::vector<PickleValuePtr> pop_n(size_t n) {
    check(stack_.size() >= n + (marks_.empty() ? 0 : marks_.back()), "a tuple of ", n,
          " with too few values on the stack");
    std::vector<PickleValuePtr> v(stack_.end() - static_cast<std::ptrdiff_t>(n), stack_.end());
    stack_.resize(stack_.size() - n);
    return v;
  }
  std::vector<PickleValuePtr> pop_mark() {
    check(!marks_.empty(), "no MARK to pop to");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PickleValuePtr> v(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return v;
  }
  const PickleValuePtr& top(Kind kind, const char* op) {
    check(!stack_.empty() && stack_.back()->kind == kind, op, " expects a ", kind_name(kind),
          " on the stack, but found ", stack_.empty() ? "nothing" : kind_name(stack_.back()->kind));
    return stack_.back();
  }
  void set_items(const PickleValuePtr& d, const std::vector<PickleValuePtr>& kv) {
    check(kv.size() % 2 == 0, "SETITEMS with an odd number of values");
    for (size_t i = 0; i < kv.size(); i += 2) d->dict.emplace_back(kv[i], kv[i + 1]);
  }
  void put(uint64_t index) {
    check(!stack_.empty(), "memo put with an empty stack");
    memo_[index] = stack_.back();
  }
  PickleValuePtr get(uint64_t index) {
    auto it = memo_.find(index);
    check(it != memo_.end(), "memo get of index ", index, ", which was never put");
    return it->second;
  }

  PickleValuePtr persistent_load(const PickleValuePtr& pid) {
    // ('storage', torch.<X>Storage, key, location, numel)
    const auto& t = pid->items;
    check(pid->kind == Kind::kTuple && t.size() == 5 && t[0]->kind == Kind::kString && t[0]->text == "storage" &&
              t[1]->kind == Kind::kGlobal && t[2]->kind == Kind::kString && t[3]->kind == Kind::kString &&
              t[4]->kind == Kind::kInt,
          "a persistent id that is not ('storage', torch.<X>Storage, key, location, numel)");
    auto v = make(Kind::kStorage);
    v->storage.type_name = t[1]->text;
    const std::string prefix = "torch.";
    check(t[1]->text.rfind(prefix, 0) == 0 && storage_dtype(t[1]->text.substr(prefix.size()), &v->storage.dtype),
          "unsupported storage type '", t[1]->text, "'");
    v->storage.key = t[2]->text;
    v->storage.location = t[3]->text;
    v->storage.numel = t[4]->integer;
    check(v->storage.numel >= 0, "storage '", v->storage.key, "' has a negative size");
    return v;
  }

  std::vector<int64_t> ints(const PickleValuePtr& v, const char* what) {
    check(v->kind == Kind::kTuple || v->kind == Kind::kList, what, " must be a tuple of ints");
    std::vector<int64_t> out;
    for (const auto& i : v->items) {
      check(i->kind == Kind::kInt, what, " must be a tuple of ints");
      out.push_back(i->integer);
    }
    return out;
  }

  PickleValuePtr reduce(const PickleValuePtr& fn, const PickleValuePtr& args) {
    check(args->kind == Kind::kTuple, "REDUCE arguments must be a tuple");
    const auto& a = args->items;
    if (fn->kind != Kind::kGlobal) {
      auto o = make(Kind::kObject);
      o->text = std::string("result of calling a ") + kind_name(fn->kind);
      return o;
    }
    const std::string& name = fn->text;
    if (name == "collections.OrderedDict" || name == "builtins.dict") {
      check(a.empty(), name, " with arguments is not supported");
      return make(Kind::kDict);
    }
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      check(a.size() >= 4 && a[0]->kind == Kind::kStorage && a[1]->kind == Kind::kInt, name,
            " expects (storage, storage_offset, size, stride, ...)");
      auto v = make(Kind::kTensor);
      v->tensor.storage = a[0]->storage;
      v->tensor.storage_offset = a[1]->integer;
      v->tensor.shape = ints(a[2], "a tensor's size");
      v->tensor.strides = ints(a[3], "a tensor's stride");
      check(v->tensor.shape.size() == v->tensor.strides.size(), "a tensor's size and stride differ in length");
      return v;
    }
    if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
      check(!a.empty() && a[0]->kind == Kind::kTensor, name, " expects a tensor first");
      return a[0];
    }
    if (name == "torch._tensor._rebuild_from_type_v2") {  // (func, type, args, state): a tensor subclass
      check(a.size() >= 3, name, " expects (func, type, args, state)");
      return reduce(a[0], a[2]);
    }
    if (name == "torch.jit._pickle.restore_type_tag") {  // LibTorch's typed containers: (value, type string)
      check(!a.empty(), name, " expects (value, type)");
      return a[0];
    }
    if (name.rfind("torch.jit._pickle.build_", 0) == 0) {  // build_intlist etc.: (list,)
      check(a.size() == 1, name, " expects one list");
      return a[0];
    }
    auto o = make(Kind::kObject);  // never called: kept as an opaque value
    o->text = name;
    return o;
  }

  const uint8_t* p_;
  size_t size_, pos_ = 0;
  std::string where_;
  std::vector<PickleValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValuePtr> memo_;
};

}  // namespace

bool storage_dtype(const std::string& name, torch::Dtype* dtype) {
  for (const auto& s : kStorages) {
    if (name == s.name) {
      *dtype = s.dtype;
      return true;
    }
  }
  return false;
}

std::string storage_type_name(torch::Dtype dtype) {
  for (const auto& s : kStorages) {
    if (s.dtype == dtype && std::string(s.name) != "UntypedStorage") return s.name;
  }
  TORCH_CHECK(false, "no torch storage type for ", dtype);
}

PickleValuePtr unpickle(const uint8_t* data, size_t size, const std::string& where) {
  return Machine(data, size, where).run();
}

}  // namespace ablate::io
