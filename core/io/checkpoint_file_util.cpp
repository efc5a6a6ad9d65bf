// view_of_mapping, FileWriter, little-endian appenders; StoredTensor / TensorSource helpers.
#include "core/io/checkpoint_file_util.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.h"
#include "core/io/checkpoint_tensor.h"

namespace ablate::io {

torch::Tensor view_of_mapping(const std::shared_ptr<const MappedFile>& file, uint64_t offset,
                              const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
                              torch::Dtype dtype) {
  const auto options = torch::TensorOptions().dtype(dtype).device(torch::kCPU);
  const auto elem = static_cast<uint64_t>(c10::elementSize(dtype));
  int64_t numel = 1, extent = 1;  // extent: elements from the first to one past the last
  for (size_t i = 0; i < shape.size(); ++i) {
    numel *= shape[i];
    extent += (shape[i] - 1) * (strides.empty() ? 0 : strides[i]);
  }
  if (numel == 0) return torch::empty(shape, options);
  if (strides.empty()) extent = numel;
  const uint8_t* p = file->at(offset, static_cast<uint64_t>(extent) * elem, "tensor data");
  auto* data = const_cast<uint8_t*>(p);  // the pages are PROT_READ: a write would fault, not corrupt
  std::vector<int64_t> st = strides;
  if (st.empty()) {
    st.assign(shape.size(), 1);
    for (size_t i = shape.size(); i-- > 1;) st[i - 1] = st[i] * shape[i];
  }
  if (reinterpret_cast<uintptr_t>(data) % elem != 0) {
    auto out = torch::empty({extent}, options);
    std::memcpy(out.data_ptr(), data, static_cast<size_t>(extent) * elem);
    return out.as_strided(shape, st).clone();
  }
  auto keep = file;
  return torch::from_blob(
      data, shape, st, [keep](void*) {}, options);
}

FileWriter::FileWriter(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
  file_ = std::fopen(tmp_.c_str(), "wb");
  ABLATE_USAGE_CHECK(file_ != nullptr, path_, ": cannot create ", tmp_, " (", std::strerror(errno), ")");
}

FileWriter::~FileWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::remove(tmp_.c_str());
  }
}

void FileWriter::write(const void* data, size_t size) {
  if (size == 0) return;
  ABLATE_USAGE_CHECK(std::fwrite(data, 1, size, file_) == size, path_, ": write of ", size, " bytes at offset ",
                     position_, " failed (", std::strerror(errno), ")");
  position_ += size;
}

void FileWriter::commit() {
  const bool ok = std::fflush(file_) == 0 && std::ferror(file_) == 0;
  const int closed = std::fclose(file_);
  file_ = nullptr;
  if (!ok || closed != 0) {
    std::remove(tmp_.c_str());
    throw UsageError(path_ + ": writing failed (" + std::strerror(errno) + ")");
  }
  ABLATE_USAGE_CHECK(std::rename(tmp_.c_str(), path_.c_str()) == 0, path_, ": cannot rename ", tmp_, " into place (",
                     std::strerror(errno), ")");
}

void put_u16(std::string& out, uint16_t v) {
  for (int i = 0; i < 2; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

uint64_t NamedTensor::stored_nbytes() const {
  return static_cast<uint64_t>(tensor.numel()) * c10::elementSize(stored_dtype());
}

torch::Tensor NamedTensor::stored_cpu() const { return tensor.detach().to(torch::kCPU, stored_dtype()).contiguous(); }

int64_t StoredTensor::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

int64_t StoredTensor::nbytes() const { return numel() * static_cast<int64_t>(c10::elementSize(dtype)); }

const StoredTensor* TensorSource::find(const std::string& key) const {
  const auto& all = tensors();
  auto it = std::lower_bound(all.begin(), all.end(), key,
                             [](const StoredTensor& t, const std::string& k) { return t.key < k; });
  return it != all.end() && it->key == key ? &*it : nullptr;
}

bool is_floating_weight_dtype(torch::Dtype dtype) {
  return dtype == torch::kFloat || dtype == torch::kHalf || dtype == torch::kBFloat16 || dtype == torch::kDouble;
}

}  // namespace ablate::io
