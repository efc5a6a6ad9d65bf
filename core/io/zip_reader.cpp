// ZipReader: end-of-central-directory search, zip64 records and extra fields, local headers.
#include "core/io/zip_reader.h"

#include <algorithm>

#include "core/error.h"
#include "core/io/zip_format.h"

namespace ablate::io {
namespace {

uint64_t le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

ZipReader::ZipReader(std::shared_ptr<const MappedFile> file) : file_(std::move(file)) {
  const std::string& path = file_->path();
  const uint64_t size = file_->size();
  const uint8_t* base = file_->data();
  ABLATE_USAGE_CHECK(size >= zip::kEndOfCentralDirSize, path, ": ", size,
                     " bytes is too short for a zip archive; the file is truncated or not a torch.save archive");
  // the end record is the last 22 bytes plus a comment of at most 65535 bytes
  const uint64_t lowest = size - zip::kEndOfCentralDirSize > 0xFFFF ? size - zip::kEndOfCentralDirSize - 0xFFFF : 0;
  uint64_t eocd = UINT64_MAX;
  for (uint64_t pos = size - zip::kEndOfCentralDirSize + 1; pos-- > lowest;) {
    if (le(base + pos, 4) == zip::kEndOfCentralDirSig &&
        pos + zip::kEndOfCentralDirSize + le(base + pos + 20, 2) == size) {
      eocd = pos;
      break;
    }
  }
  if (eocd == UINT64_MAX) {
    const bool starts_as_zip = le(base, 4) == zip::kLocalHeaderSig;
    const bool legacy_pickle = base[0] == 0x80 && base[1] <= 5;  // a pickle PROTO opcode
    throw UsageError(path + (starts_as_zip ? ": a zip archive without its end-of-central-directory record; the file is "
                                             "truncated"
                             : legacy_pickle ? ": a legacy (pre-1.6, non-zip) torch.save file; re-save it with "
                                               "torch.save(state_dict, path) from PyTorch >= 1.6"
                                             : ": not a zip archive (no end-of-central-directory record); expected a "
                                               "torch.save file"));
  }
  const uint8_t* e = base + eocd;
  uint64_t disk = le(e + 4, 2), cd_disk = le(e + 6, 2), count = le(e + 10, 2);
  uint64_t cd_size = le(e + 12, 4), cd_offset = le(e + 16, 4);
  if (count == zip::kMax16 || cd_size == zip::kMax32 || cd_offset == zip::kMax32) {
    ABLATE_USAGE_CHECK(eocd >= zip::kZip64LocatorSize, path, ": zip64 locator missing before the end record");
    const uint8_t* loc = base + eocd - zip::kZip64LocatorSize;
    ABLATE_USAGE_CHECK(le(loc, 4) == zip::kZip64LocatorSig, path,
                       ": the end record needs zip64 values, but no zip64 locator precedes it; the file is corrupt");
    const uint64_t z64 = le(loc + 8, 8);
    const uint8_t* z = file_->at(z64, zip::kZip64EndOfCentralDirSize, "the zip64 end-of-central-directory record");
    ABLATE_USAGE_CHECK(le(z, 4) == zip::kZip64EndOfCentralDirSig, path,
                       ": no zip64 end-of-central-directory record at offset ", z64, "; the file is corrupt");
    disk = le(z + 16, 4);
    cd_disk = le(z + 20, 4);
    count = le(z + 32, 8);
    cd_size = le(z + 40, 8);
    cd_offset = le(z + 48, 8);
  }
  ABLATE_USAGE_CHECK(disk == 0 && cd_disk == 0, path, ": multi-disk zip archives are not supported");
  const uint8_t* cd = file_->at(cd_offset, cd_size, "the zip central directory");
  uint64_t pos = 0;
  for (uint64_t i = 0; i < count; ++i) {
    ABLATE_USAGE_CHECK(pos + zip::kCentralHeaderSize <= cd_size && le(cd + pos, 4) == zip::kCentralHeaderSig, path,
                       ": central directory entry ", i, " of ", count, " is damaged; the file is corrupt");
    const uint8_t* h = cd + pos;
    ZipEntry entry;
    const uint16_t flags = static_cast<uint16_t>(le(h + 8, 2));
    entry.method = static_cast<uint16_t>(le(h + 10, 2));
    entry.crc32 = static_cast<uint32_t>(le(h + 16, 4));
    entry.compressed_size = le(h + 20, 4);
    entry.size = le(h + 24, 4);
    const uint64_t name_len = le(h + 28, 2), extra_len = le(h + 30, 2), comment_len = le(h + 32, 2);
    entry.header_offset = le(h + 42, 4);
    ABLATE_USAGE_CHECK(pos + zip::kCentralHeaderSize + name_len + extra_len + comment_len <= cd_size, path,
                       ": central directory entry ", i, " runs past the directory; the file is corrupt");
    entry.name.assign(reinterpret_cast<const char*>(h + zip::kCentralHeaderSize), name_len);
    ABLATE_USAGE_CHECK((flags & 0x1) == 0, path, ": entry '", entry.name, "' is encrypted");
    // zip64 extra field: the saturated fields, in the order size, compressed size, offset
    const uint8_t* x = h + zip::kCentralHeaderSize + name_len;
    for (uint64_t xp = 0; xp + 4 <= extra_len;) {
      const uint64_t id = le(x + xp, 2), len = le(x + xp + 2, 2);
      ABLATE_USAGE_CHECK(xp + 4 + len <= extra_len, path, ": entry '", entry.name, "' has a damaged extra field");
      if (id == zip::kZip64ExtraId) {
        uint64_t f = xp + 4;
        auto take = [&](uint64_t& field) {
          if (field != zip::kMax32) return;
          ABLATE_USAGE_CHECK(f + 8 <= xp + 4 + len, path, ": entry '", entry.name, "' has a short zip64 extra field");
          field = le(x + f, 8);
          f += 8;
        };
        take(entry.size);
        take(entry.compressed_size);
        take(entry.header_offset);
      }
      xp += 4 + len;
    }
    const uint8_t* lh =
        file_->at(entry.header_offset, zip::kLocalHeaderSize, "the local header of '" + entry.name + "'");
    ABLATE_USAGE_CHECK(le(lh, 4) == zip::kLocalHeaderSig, path, ": entry '", entry.name,
                       "' has no local header at offset ", entry.header_offset, "; the file is corrupt");
    entry.data_offset = entry.header_offset + zip::kLocalHeaderSize + le(lh + 26, 2) + le(lh + 28, 2);
    file_->at(entry.data_offset, entry.compressed_size, "the data of zip entry '" + entry.name + "'");
    entries_.push_back(std::move(entry));
    pos += zip::kCentralHeaderSize + name_len + extra_len + comment_len;
  }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
  auto it = std::find_if(entries_.begin(), entries_.end(), [&](const ZipEntry& e) { return e.name == name; });
  return it == entries_.end() ? nullptr : &*it;
}

const uint8_t* ZipReader::data(const ZipEntry& entry) const {
  ABLATE_USAGE_CHECK(entry.method == zip::kMethodStored && entry.compressed_size == entry.size, path(), ": entry '",
                     entry.name, "' is compressed (method ", entry.method,
                     "); torch.save stores entries uncompressed, re-save the file with torch.save");
  return file_->at(entry.data_offset, entry.size, "the data of zip entry '" + entry.name + "'");
}

std::string ZipReader::read(const ZipEntry& entry) const {
  const uint8_t* p = data(entry);
  const uint32_t crc = zip::crc32(p, entry.size);
  ABLATE_USAGE_CHECK(crc == entry.crc32, path(), ": entry '", entry.name, "' fails its CRC-32 check (stored ",
                     entry.crc32, ", computed ", crc, "); the file is corrupt");
  return std::string(reinterpret_cast<const char*>(p), entry.size);
}

}  // namespace ablate::io
