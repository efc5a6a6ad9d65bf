// safetensors files (huggingface/safetensors format): an 8-byte little-endian header length, a
// JSON header {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}},
// then the tensors' bytes back to back. Reader over a read-only mapping; deterministic writer.
#pragma once
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/io/checkpoint_tensor.h"
#include "core/io/mapped_file.h"

namespace ablate::io {

/// Header dtype name -> torch dtype: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL. UsageError naming
/// `where` and the valid names otherwise.
torch::Dtype safetensors_dtype(const std::string& name, const std::string& where);
/// torch dtype -> header dtype name (TORCH_CHECK failure for dtypes the format has no name for).
std::string safetensors_dtype_name(torch::Dtype dtype);

class SafetensorsReader {
 public:
  /// Maps `path` and checks its header: valid JSON object of entries with a known dtype, a shape of
  /// non-negative sizes, offsets whose length is numel * element size, entries back to back from
  /// the start of the data section to the end of the file. UsageError naming the file (and key).
  explicit SafetensorsReader(const std::string& path);

  const std::string& path() const { return file_->path(); }
  /// Entries sorted by key; offsets are into the file.
  const std::vector<StoredTensor>& tensors() const { return tensors_; }
  const StoredTensor* find(const std::string& key) const;
  /// The "__metadata__" string map (empty when absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// The first 8 + N bytes of the file: header length and JSON header.
  std::string header_bytes() const;
  /// Read-only view onto the mapping, or a copy when the bytes are misaligned for the dtype.
  torch::Tensor view(const StoredTensor& t) const;
  torch::Tensor view(const std::string& key) const;
  void release(const StoredTensor& t) const { file_->release(t.offset, static_cast<uint64_t>(t.nbytes())); }
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  uint64_t header_size_ = 0;
  std::vector<StoredTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// Writes `tensors` (each converted to its stored dtype and CPU one at a time: streamed) to `path`: header keys
/// sorted, header padded with spaces to a multiple of 8 bytes, data ordered by element size
/// (largest first, so every tensor is aligned for its dtype) then by name. The same tensors give
/// the same bytes. Written to `path`.tmp and renamed. UsageError for duplicate or empty names or a
/// file that cannot be written.
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace ablate::io
