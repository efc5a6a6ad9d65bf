#include "core/io/npy.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace ablate::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

struct DtypeCode {
  const char* descr;  // NumPy's descr string for little-endian / byte-sized data
  torch::Dtype dtype;
  size_t itemsize;
};

// clang-format off
constexpr DtypeCode kDtypes[] = {
    {"<f4", torch::kFloat,  4},
    {"<f8", torch::kDouble, 8},
    {"<i4", torch::kInt,    4},
    {"<i8", torch::kLong,   8},
    {"|u1", torch::kByte,   1},
    {"|b1", torch::kBool,   1},
};
// clang-format on

std::string shape_string(const std::vector<int64_t>& shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

// The header is a Python dict literal: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : s_(text), path_(path) {}

  void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      const std::string key = string_literal();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"')
          fail("a plain dtype (e.g. '<f4') as 'descr'; structured dtypes are not supported");
        descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean();
        have_fortran = true;
      } else if (key == "shape") {
        shape = tuple();
        have_shape = true;
      } else {
        fail("only the keys 'descr', 'fortran_order' and 'shape', not '" + key + "'");
      }
      skip_space();
      if (peek() == ',') ++pos_;
    }
    if (!have_descr || !have_fortran || !have_shape)
      fail("the keys 'descr', 'fortran_order' and 'shape' in the header");
  }

 private:
  [[noreturn]] void fail(const std::string& expected) const {
    throw UsageError(path_ + ": not a valid .npy header: expected " + expected + "; header is " + s_);
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("'") + c + "' at offset " + std::to_string(pos_));
    ++pos_;
  }
  std::string string_literal() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("a quoted key at offset " + std::to_string(pos_));
    const size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string::npos) fail("a closing quote");
    std::string out = s_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    if (s_.compare(pos_, 4, "True") == 0) return pos_ += 4, true;
    if (s_.compare(pos_, 5, "False") == 0) return pos_ += 5, false;
    fail("True or False for 'fortran_order'");
  }
  std::vector<int64_t> tuple() {
    expect('(');
    std::vector<int64_t> out;
    while (true) {
      skip_space();
      if (peek() == ')') break;
      size_t used = 0;
      int64_t v = -1;
      try {
        v = std::stoll(s_.substr(pos_), &used);
      } catch (const std::exception&) {
        fail("integers in 'shape'");
      }
      if (v < 0) fail("non-negative sizes in 'shape'");
      out.push_back(v);
      pos_ += used;
      skip_space();
      if (peek() == ',') ++pos_;
    }
    ++pos_;
    return out;
  }

  const std::string& s_;
  const std::string& path_;
  size_t pos_ = 0;
};

// The first bytes of a file in hex, for "not an X file" messages.
std::string leading_bytes(const std::string& bytes) {
  std::ostringstream os;
  os << std::hex;
  for (size_t i = 0; i < std::min<size_t>(bytes.size(), 8); ++i)
    os << (i ? " " : "") << static_cast<int>(static_cast<unsigned char>(bytes[i]));
  return bytes.empty() ? "an empty file" : "bytes " + os.str();
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  ABLATE_USAGE_CHECK(in.good(), "cannot open ", path, ": ", std::strerror(errno));
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

uint32_t little_endian(const std::string& bytes, size_t offset, size_t width) {
  uint32_t v = 0;
  for (size_t i = 0; i < width; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return v;
}

const DtypeCode* find_dtype(const std::string& descr) {
  // NumPy writes '<u1' on some paths and '|u1' on others; both mean uint8
  std::string d = descr;
  if (d == "<u1" || d == "=u1") d = "|u1";
  if (d == "<b1" || d == "=b1") d = "|b1";
  for (const auto& code : kDtypes)
    if (d == code.descr) return &code;
  return nullptr;
}

const DtypeCode& code_of(torch::Dtype dtype) {
  for (const auto& code : kDtypes)
    if (code.dtype == dtype) return code;
  throw UsageError(std::string("write_npy: unsupported dtype ") + c10::toString(dtype) +
                   "; supported: float32, float64, int32, int64, uint8, bool");
}

}  // namespace

std::string numpy_dtype_name(torch::Dtype dtype) {
  switch (dtype) {
    case torch::kFloat: return "float32";
    case torch::kDouble: return "float64";
    case torch::kInt: return "int32";
    case torch::kLong: return "int64";
    case torch::kByte: return "uint8";
    case torch::kBool: return "bool";
    default: return c10::toString(dtype);
  }
}

torch::Tensor read_npy(const std::string& path) {
  const std::string bytes = read_all(path);
  ABLATE_USAGE_CHECK(bytes.size() >= kMagicLen + 4 && bytes.compare(0, kMagicLen, kMagic, kMagicLen) == 0, path,
                     ": not an .npy file (expected the magic \\x93NUMPY at the start, found ",
                     leading_bytes(bytes), ")");
  const int major = static_cast<unsigned char>(bytes[6]), minor = static_cast<unsigned char>(bytes[7]);
  ABLATE_USAGE_CHECK((major == 1 || major == 2 || major == 3) && minor == 0, path,
                     ": unsupported .npy format version ", major, ".", minor, " (expected 1.0, 2.0 or 3.0)");
  const size_t len_width = major == 1 ? 2 : 4;
  ABLATE_USAGE_CHECK(bytes.size() >= 8 + len_width, path, ": truncated .npy file (", bytes.size(),
                     " bytes; the header length field is missing)");
  const size_t header_len = little_endian(bytes, 8, len_width);
  const size_t data_start = 8 + len_width + header_len;
  ABLATE_USAGE_CHECK(bytes.size() >= data_start, path, ": truncated .npy file (the header says ", header_len,
                     " header bytes; the file has ", bytes.size(), " bytes in all)");
  const std::string header = bytes.substr(8 + len_width, header_len);

  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
  HeaderParser(header, path).parse(descr, fortran, shape);
  const DtypeCode* code = find_dtype(descr);
  ABLATE_USAGE_CHECK(code != nullptr, path, ": unsupported dtype '", descr,
                     "' (expected little-endian float32 '<f4', float64 '<f8', int32 '<i4', int64 '<i8', uint8 "
                     "'|u1' or bool '|b1'", descr.size() > 0 && descr[0] == '>' ? "; this file is big-endian" : "",
                     ")");
  ABLATE_USAGE_CHECK(!fortran, path, ": the array is stored in Fortran order (fortran_order: True); only C order "
                     "is supported: save it with np.save(path, np.ascontiguousarray(a))");

  // Sizes from the file: the element and byte counts must fit in int64 (a zero size does not make a
  // product of huge ones acceptable: LibTorch's own size checks would throw otherwise).
  int64_t count = 1, nonzero = 1;
  for (int64_t s : shape) {
    ABLATE_USAGE_CHECK(s == 0 || !__builtin_mul_overflow(nonzero, s, &nonzero), path, ": the header's shape ",
                       shape_string(shape), " has more elements than fit in 64 bits");
    count = s == 0 ? 0 : count * s;  // count <= nonzero
  }
  int64_t data_bytes_signed = 0;
  ABLATE_USAGE_CHECK(!__builtin_mul_overflow(nonzero, static_cast<int64_t>(code->itemsize), &data_bytes_signed),
                     path, ": the header's shape ", shape_string(shape), " of ", numpy_dtype_name(code->dtype),
                     " has more bytes than fit in 64 bits");
  const size_t data_bytes = static_cast<size_t>(count) * code->itemsize;
  const size_t have = bytes.size() - data_start;
  ABLATE_USAGE_CHECK(have >= data_bytes, path, ": truncated .npy file: the header says shape ", shape_string(shape),
                     " ", numpy_dtype_name(code->dtype), " = ", data_bytes, " data bytes, the file holds ", have);
  auto out = torch::empty(shape, torch::TensorOptions().dtype(code->dtype));
  if (data_bytes > 0) std::memcpy(out.data_ptr(), bytes.data() + data_start, data_bytes);
  if (code->dtype == torch::kBool)  // any non-zero byte is True, as NumPy reads it
    out = out.view(torch::kByte).ne(0);
  return out;
}

torch::Tensor read_npy(const std::string& path, const NpyExpect& expect) {
  auto t = read_npy(path);
  bool dtype_ok = false;
  for (auto d : expect.dtypes) dtype_ok = dtype_ok || t.scalar_type() == d;
  bool shape_ok = t.dim() == static_cast<int64_t>(expect.shape.size());
  for (size_t i = 0; shape_ok && i < expect.shape.size(); ++i)
    shape_ok = expect.shape[i] < 0 || expect.shape[i] == t.size(static_cast<int64_t>(i));
  if (!dtype_ok || !shape_ok) {
    std::string dtypes;
    for (size_t i = 0; i < expect.dtypes.size(); ++i)
      dtypes += (i == 0 ? "" : i + 1 == expect.dtypes.size() ? " or " : ", ") + numpy_dtype_name(expect.dtypes[i]);
    throw UsageError(path + ": expected " + expect.what + " as " + expect.shape_text + " " + dtypes + ", found " +
                     shape_string(t.sizes().vec()) + " " + numpy_dtype_name(t.scalar_type()));
  }
  return t;
}

void write_npy(const std::string& path, const torch::Tensor& tensor) {
  const auto& code = code_of(tensor.scalar_type());
  auto t = tensor.to(torch::kCPU).contiguous();
  std::ostringstream header;
  header << "{'descr': '" << code.descr << "', 'fortran_order': False, 'shape': (";
  for (int64_t i = 0; i < t.dim(); ++i) header << t.size(i) << (t.dim() == 1 ? "," : i + 1 < t.dim() ? ", " : "");
  header << "), }";
  std::string h = header.str();
  // as np.save (numpy/lib/format.py): room for the first axis to grow to 21 digits, then spaces up
  // to a 64-byte boundary and a newline
  if (t.dim() > 0) h.append(21 - std::to_string(t.size(0)).size(), ' ');
  const size_t hlen = h.size() + 1;
  h.append(64 - (10 + hlen) % 64, ' ');
  h.push_back('\n');
  ABLATE_USAGE_CHECK(h.size() <= 65535, path, ": .npy header too long for format 1.0 (", h.size(), " bytes)");
  std::ofstream out(path, std::ios::binary);
  ABLATE_USAGE_CHECK(out.good(), "cannot write ", path, ": ", std::strerror(errno));
  out.write(kMagic, kMagicLen);
  const char version[2] = {1, 0};
  out.write(version, 2);
  const char len[2] = {static_cast<char>(h.size() & 0xff), static_cast<char>(h.size() >> 8)};
  out.write(len, 2);
  out << h;
  auto bytes = t.scalar_type() == torch::kBool ? t.to(torch::kByte) : t;
  out.write(static_cast<const char*>(bytes.data_ptr()), static_cast<std::streamsize>(bytes.nbytes()));
  ABLATE_USAGE_CHECK(out.good(), "cannot write ", path, ": ", std::strerror(errno));
}

}  // namespace ablate::io
