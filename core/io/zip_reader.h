// ZipReader: the central directory of a mapped zip archive (zip64 aware) and the stored entries'
// bytes in place. Only what torch.save archives need: no compression, no encryption, one disk.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/io/mapped_file.h"

namespace ablate::io {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 = stored
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t header_offset = 0;  // of the local file header
  uint64_t data_offset = 0;    // of the entry's bytes in the file
};

class ZipReader {
 public:
  /// Reads the end-of-central-directory record (and its zip64 form), then every central directory
  /// entry and its local header. UsageError naming the file: not a zip, truncated, multi-disk, an
  /// entry whose data runs past the end of the file.
  explicit ZipReader(std::shared_ptr<const MappedFile> file);

  const std::string& path() const { return file_->path(); }
  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;
  /// Pointer to a stored entry's bytes (UsageError naming file and entry when it is compressed).
  const uint8_t* data(const ZipEntry& entry) const;
  /// A copy of a stored entry's bytes, its CRC-32 checked (UsageError on a mismatch).
  std::string read(const ZipEntry& entry) const;
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  std::vector<ZipEntry> entries_;
};

}  // namespace ablate::io
