// ZipWriter: a streamed zip archive of stored entries whose data starts at a multiple of an
// alignment (64, as PyTorchStreamWriter), padded with a "FB" extra field; zip64 records where a
// size or offset reaches 4 GiB (or always, for tests). Deterministic: fixed timestamps.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/io/checkpoint_file_util.h"

namespace ablate::io {

struct ZipWriterOptions {
  /// Entry data starts at a multiple of this. Default: 64 (PyTorchStreamWriter's kFieldAlignment)
  uint64_t alignment = 64;
  /// Sizes and offsets at or above this are written as zip64 fields. Default: 0xFFFFFFFF (the
  /// format's limit); tests lower it to exercise zip64 on small files.
  uint64_t zip64_threshold = 0xFFFFFFFFull;
};

class ZipWriter {
 public:
  explicit ZipWriter(const std::string& path, ZipWriterOptions options = {});
  /// Adds a stored entry: local header (+ zip64 extra + padding), then the bytes, written at once.
  void add(const std::string& name, const void* data, uint64_t size);
  /// Writes the central directory (zip64 end records where needed) and renames the file into place.
  void finish();
  const std::string& path() const { return out_.path(); }

 private:
  struct Written {
    std::string name;
    uint32_t crc32;
    uint64_t size, header_offset;
  };
  bool big(uint64_t v) const { return v >= options_.zip64_threshold; }
  FileWriter out_;
  ZipWriterOptions options_;
  std::vector<Written> entries_;
};

}  // namespace ablate::io
