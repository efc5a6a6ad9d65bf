// Small file helpers shared by the checkpoint readers and writers: a tensor viewing a mapped file,
// and a streamed writer that renames a finished temporary file into place.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/io/mapped_file.h"

namespace ablate::io {

/// A CPU tensor of `dtype` over the mapped bytes at `offset` with `shape` and `strides` (empty:
/// contiguous); it keeps the mapping alive. Read-only: the pages are mapped without write access.
/// A copy instead when the address is not a multiple of the element size.
torch::Tensor view_of_mapping(const std::shared_ptr<const MappedFile>& file, uint64_t offset,
                              const std::vector<int64_t>& shape, const std::vector<int64_t>& strides,
                              torch::Dtype dtype);

/// Writes `path` through `path`.tmp: commit() flushes, closes and renames it into place; a writer
/// destroyed without commit() removes the temporary file. Write errors throw UsageError naming the
/// file.
class FileWriter {
 public:
  explicit FileWriter(std::string path);
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;
  void write(const void* data, size_t size);
  uint64_t position() const { return position_; }
  void commit();
  const std::string& path() const { return path_; }

 private:
  std::string path_, tmp_;
  std::FILE* file_ = nullptr;
  uint64_t position_ = 0;
};

/// Little-endian byte appenders for binary headers.
void put_u16(std::string& out, uint16_t v);
void put_u32(std::string& out, uint32_t v);
void put_u64(std::string& out, uint64_t v);

}  // namespace ablate::io
