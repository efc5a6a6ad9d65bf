// safetensors reader (header checks, views onto the mapping) and deterministic streaming writer.
#include "core/io/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "core/error.h"
#include "core/io/checkpoint_file_util.h"

namespace ablate::io {
namespace {

// The reference implementation refuses headers above 100 MB; so do we (a corrupt length would
// otherwise make us parse gigabytes).
constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;

struct DtypeName {
  const char* name;
  torch::Dtype dtype;
};
// clang-format off
constexpr DtypeName kSafetensorsDtypes[] = {
    {"F64", torch::kDouble}, {"F32", torch::kFloat},  {"F16", torch::kHalf}, {"BF16", torch::kBFloat16},
    {"I64", torch::kLong},   {"I32", torch::kInt},    {"I16", torch::kShort}, {"I8", torch::kChar},
    {"U8", torch::kByte},    {"BOOL", torch::kBool}};
// clang-format on

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// A non-negative JSON integer, or a UsageError naming `where`.
uint64_t json_size(const nlohmann::json& v, const std::string& where) {
  ABLATE_USAGE_CHECK(v.is_number_integer() && (v.is_number_unsigned() || v.get<int64_t>() >= 0), where,
                     " must be a non-negative integer, but is ", v.dump());
  return v.get<uint64_t>();
}

}  // namespace

torch::Dtype safetensors_dtype(const std::string& name, const std::string& where) {
  for (const auto& d : kSafetensorsDtypes) {
    if (name == d.name) return d.dtype;
  }
  std::string valid;
  for (const auto& d : kSafetensorsDtypes) valid += std::string(valid.empty() ? "" : ", ") + d.name;
  throw UsageError(where + ": dtype '" + name + "' is not supported; supported dtypes: " + valid);
}

std::string safetensors_dtype_name(torch::Dtype dtype) {
  for (const auto& d : kSafetensorsDtypes) {
    if (dtype == d.dtype) return d.name;
  }
  TORCH_CHECK(false, "safetensors: no dtype name for ", dtype);
}

SafetensorsReader::SafetensorsReader(const std::string& path) : file_(MappedFile::open(path)) {
  const uint64_t size = file_->size();
  ABLATE_USAGE_CHECK(size >= 8, path, ": ", size,
                     " bytes is too short for a safetensors file (an 8-byte header length comes first); the file is "
                     "truncated or not safetensors");
  header_size_ = read_u64_le(file_->data());
  ABLATE_USAGE_CHECK(header_size_ <= kMaxHeaderBytes, path, ": header length ", header_size_,
                     " bytes is over the format's limit of ", kMaxHeaderBytes,
                     "; the file is corrupt or not safetensors");
  const auto* text = reinterpret_cast<const char*>(file_->at(8, header_size_, "the JSON header"));
  ABLATE_USAGE_CHECK(header_size_ > 0 && text[0] == '{', path,
                     ": the header does not start with '{'; not a safetensors file");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, text + header_size_);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(path + ": the JSON header does not parse (" + e.what() + "); the file is corrupt");
  }
  ABLATE_USAGE_CHECK(header.is_object(), path, ": the JSON header is not an object");
  const uint64_t data_start = 8 + header_size_;
  const uint64_t data_size = size - data_start;
  for (const auto& [key, value] : header.items()) {
    const std::string where = path + ": key '" + key + "'";
    if (key == "__metadata__") {
      ABLATE_USAGE_CHECK(value.is_object(), path, ": __metadata__ must be an object of strings");
      for (const auto& [k, v] : value.items()) {
        ABLATE_USAGE_CHECK(v.is_string(), path, ": __metadata__ value of '", k, "' must be a string, but is ",
                           v.dump());
        metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    ABLATE_USAGE_CHECK(
        value.is_object() && value.contains("dtype") && value.contains("shape") && value.contains("data_offsets"),
        where, ": expected an object with dtype, shape and data_offsets, but found ", value.dump());
    ABLATE_USAGE_CHECK(value["dtype"].is_string(), where, ": dtype must be a string");
    ABLATE_USAGE_CHECK(value["shape"].is_array(), where, ": shape must be an array");
    const auto& offsets = value["data_offsets"];
    ABLATE_USAGE_CHECK(offsets.is_array() && offsets.size() == 2, where, ": data_offsets must be [begin, end], but is ",
                       offsets.dump());
    StoredTensor t;
    t.key = key;
    t.dtype_name = value["dtype"].get<std::string>();
    t.dtype = safetensors_dtype(t.dtype_name, where);
    t.file = path;
    uint64_t numel = 1;
    for (const auto& d : value["shape"]) {
      const uint64_t n = json_size(d, where + " shape entry");
      ABLATE_USAGE_CHECK(n <= static_cast<uint64_t>(INT64_MAX) && !__builtin_mul_overflow(numel, n, &numel), where,
                         ": shape ", value["shape"].dump(), " overflows");
      t.shape.push_back(static_cast<int64_t>(n));
    }
    const uint64_t begin = json_size(offsets[0], where + " data_offsets[0]");
    const uint64_t end = json_size(offsets[1], where + " data_offsets[1]");
    uint64_t nbytes = 0;
    ABLATE_USAGE_CHECK(!__builtin_mul_overflow(numel, c10::elementSize(t.dtype), &nbytes), where, ": shape ",
                       value["shape"].dump(), " overflows");
    ABLATE_USAGE_CHECK(begin <= end && end - begin == nbytes, where, ": data_offsets [", begin, ", ", end, ") hold ",
                       end - begin, " bytes, but shape ", value["shape"].dump(), " of ", t.dtype_name, " needs ",
                       nbytes);
    ABLATE_USAGE_CHECK(end <= data_size, where, ": data at bytes [", begin, ", ", end,
                       ") of the data section runs past the end of the file (the data section has ", data_size,
                       " bytes); the file is truncated or corrupt");
    t.offset = data_start + begin;
    tensors_.push_back(std::move(t));
  }
  // the format has no holes and no overlaps: sorted by position, each tensor starts where the last ended
  std::vector<const StoredTensor*> by_offset;
  for (const auto& t : tensors_) by_offset.push_back(&t);
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const StoredTensor* a, const StoredTensor* b) {
    return a->offset != b->offset ? a->offset < b->offset : a->nbytes() < b->nbytes();
  });
  uint64_t cursor = data_start;
  for (const auto* t : by_offset) {
    ABLATE_USAGE_CHECK(t->offset == cursor, path, ": key '", t->key, "' starts at data offset ", t->offset - data_start,
                       ", but the previous tensor ends at ", cursor - data_start,
                       t->offset < cursor ? " (overlapping tensors)" : " (a hole between tensors)",
                       "; the file is corrupt");
    cursor += static_cast<uint64_t>(t->nbytes());
  }
  ABLATE_USAGE_CHECK(cursor == size, path, ": ", size - cursor,
                     " bytes follow the last tensor's data; the header does not describe the file (corrupt)");
  std::sort(tensors_.begin(), tensors_.end(),
            [](const StoredTensor& a, const StoredTensor& b) { return a.key < b.key; });
}

const StoredTensor* SafetensorsReader::find(const std::string& key) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), key,
                             [](const StoredTensor& t, const std::string& k) { return t.key < k; });
  return it != tensors_.end() && it->key == key ? &*it : nullptr;
}

std::string SafetensorsReader::header_bytes() const {
  return std::string(reinterpret_cast<const char*>(file_->data()), 8 + header_size_);
}

torch::Tensor SafetensorsReader::view(const StoredTensor& t) const {
  return view_of_mapping(file_, t.offset, t.shape, {}, t.dtype);
}

torch::Tensor SafetensorsReader::view(const std::string& key) const {
  const StoredTensor* t = find(key);
  ABLATE_USAGE_CHECK(t != nullptr, path(), ": no tensor '", key, "'");
  return view(*t);
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::set<std::string> names;
  for (const auto& t : tensors) {
    ABLATE_USAGE_CHECK(!t.name.empty() && t.name != "__metadata__", path, ": invalid tensor name '", t.name, "'");
    ABLATE_USAGE_CHECK(names.insert(t.name).second, path, ": tensor name '", t.name, "' given twice");
  }
  // largest elements first keeps every tensor aligned for its dtype (the data section starts at a
  // multiple of 8); then by name, so the layout depends on the set of tensors only
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const auto ea = c10::elementSize(tensors[a].stored_dtype()), eb = c10::elementSize(tensors[b].stored_dtype());
    return ea != eb ? ea > eb : tensors[a].name < tensors[b].name;
  });
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t cursor = 0;
  for (size_t i : order) {
    const auto& t = tensors[i];
    const uint64_t nbytes = t.stored_nbytes();
    header[t.name] = {{"dtype", safetensors_dtype_name(t.stored_dtype())},
                      {"shape", t.tensor.sizes().vec()},
                      {"data_offsets", {cursor, cursor + nbytes}}};
    cursor += nbytes;
  }
  std::string text = header.dump();  // keys sorted (nlohmann's object is a std::map)
  text.append((8 - text.size() % 8) % 8, ' ');
  FileWriter out(path);
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
  out.write(len, 8);
  out.write(text.data(), text.size());
  for (size_t i : order) {
    const auto c = tensors[i].stored_cpu();
    out.write(c.data_ptr(), static_cast<size_t>(c.numel()) * c.element_size());
  }
  out.commit();
}

}  // namespace ablate::io
