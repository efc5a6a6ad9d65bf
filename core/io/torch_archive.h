// torch.save archives (PyTorch's zip format): <name>/data.pkl (the pickled state dict),
// <name>/data/<key> (one stored record per storage), <name>/byteorder, <name>/version. Reader over
// a read-only mapping (tensors view the records in place) and a streamed writer whose files
// torch.load(path, weights_only=True) reads.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/io/checkpoint_tensor.h"
#include "core/io/pickle_reader.h"
#include "core/io/zip_reader.h"
#include "core/io/zip_writer.h"

namespace ablate::io {

class TorchArchiveReader {
 public:
  /// Maps `path`, reads the zip directory, runs data.pkl and checks that every tensor lies inside
  /// its storage record. UsageError naming the file (and key): not a torch.save zip, truncated, a
  /// compressed or missing record, a pickle holding no tensors, an unsupported opcode.
  explicit TorchArchiveReader(const std::string& path);

  const std::string& path() const { return zip_.path(); }
  /// The records' folder ("archive", or the saved file's stem).
  const std::string& archive_name() const { return archive_name_; }
  /// The state dict's tensors sorted by key; `offset` is where the tensor's first element lies.
  const std::vector<StoredTensor>& tensors() const { return tensors_; }
  const StoredTensor* find(const std::string& key) const;
  /// The pickle as the file stores it (data.pkl).
  const std::string& pickle_bytes() const { return pickle_; }
  /// Read-only view onto the mapping (or a copy when misaligned), with the pickled strides.
  torch::Tensor view(const std::string& key) const;
  void release(const std::string& key) const;
  const ZipReader& zip() const { return zip_; }

 private:
  struct Layout {
    std::vector<int64_t> strides;
    int64_t extent_bytes = 0;
  };
  ZipReader zip_;
  std::string archive_name_, pickle_;
  std::vector<StoredTensor> tensors_;
  std::vector<Layout> layouts_;  // parallel to tensors_
};

struct TorchArchiveOptions {
  /// The records' folder. Default: the file name without its extension, as PyTorchStreamWriter.
  std::string archive_name;
  /// The state dict as an OrderedDict (torch.save of state_dict()); false: a plain dict, which
  /// LibTorch's torch::pickle_load reads too. Default: true
  bool ordered_dict = true;
  ZipWriterOptions zip;
};

/// Writes `tensors` as torch.save(OrderedDict(tensors)) does: data.pkl, byteorder "little", one
/// record data/<i> per tensor (converted to its stored dtype and written one at a time), version
/// "3\n"; entries 64-byte aligned. UsageError for duplicate names or a file that cannot be written.
void write_torch_archive(const std::string& path, const std::vector<NamedTensor>& tensors,
                         const TorchArchiveOptions& options = {});

}  // namespace ablate::io
