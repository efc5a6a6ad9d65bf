// ZipWriter: local headers with alignment padding, central directory, zip64 end records.
#include "core/io/zip_writer.h"

#include "core/error.h"
#include "core/io/zip_format.h"

namespace ablate::io {
namespace {

constexpr uint16_t kDosTime = 0;         // 00:00:00
constexpr uint16_t kDosDate = 0x21;      // 1980-01-01: fixed, so the same tensors give the same bytes
constexpr uint16_t kVersionStored = 20;  // 2.0: stored entries
constexpr uint16_t kVersionZip64 = 45;   // 4.5: zip64
constexpr uint16_t kFlagUtf8 = 1 << 11;

}  // namespace

ZipWriter::ZipWriter(const std::string& path, ZipWriterOptions options) : out_(path), options_(options) {
  TORCH_CHECK(options_.alignment >= 1 && options_.alignment <= 0x8000, "ZipWriter: alignment ", options_.alignment,
              " out of range");
}

void ZipWriter::add(const std::string& name, const void* data, uint64_t size) {
  ABLATE_USAGE_CHECK(name.size() <= zip::kMax16, path(), ": entry name too long");
  const uint64_t offset = out_.position();
  const bool z64_size = big(size), z64_offset = big(offset);
  std::string extra;
  if (z64_size) {  // the local header's zip64 extra holds both sizes (the offset is not in it)
    put_u16(extra, zip::kZip64ExtraId);
    put_u16(extra, 16);
    put_u64(extra, size);
    put_u64(extra, size);
  }
  const uint64_t start = offset + zip::kLocalHeaderSize + name.size() + extra.size() + 4;
  const uint64_t pad = (options_.alignment - start % options_.alignment) % options_.alignment;
  put_u16(extra, zip::kPaddingExtraId);
  put_u16(extra, static_cast<uint16_t>(pad));
  extra.append(pad, 'Z');
  const uint32_t crc = zip::crc32(data, size);

  std::string h;
  put_u32(h, zip::kLocalHeaderSig);
  put_u16(h, z64_size || z64_offset ? kVersionZip64 : kVersionStored);
  put_u16(h, kFlagUtf8);
  put_u16(h, zip::kMethodStored);
  put_u16(h, kDosTime);
  put_u16(h, kDosDate);
  put_u32(h, crc);
  put_u32(h, z64_size ? zip::kMax32 : static_cast<uint32_t>(size));
  put_u32(h, z64_size ? zip::kMax32 : static_cast<uint32_t>(size));
  put_u16(h, static_cast<uint16_t>(name.size()));
  put_u16(h, static_cast<uint16_t>(extra.size()));
  h += name;
  h += extra;
  out_.write(h.data(), h.size());
  TORCH_CHECK(out_.position() % options_.alignment == 0, "ZipWriter: misaligned entry data");
  out_.write(data, size);
  entries_.push_back({name, crc, size, offset});
}

void ZipWriter::finish() {
  const uint64_t cd_offset = out_.position();
  for (const auto& e : entries_) {
    const bool z64_size = big(e.size), z64_offset = big(e.header_offset);
    std::string extra;
    if (z64_size || z64_offset) {
      put_u16(extra, zip::kZip64ExtraId);
      put_u16(extra, static_cast<uint16_t>((z64_size ? 16 : 0) + (z64_offset ? 8 : 0)));
      if (z64_size) {
        put_u64(extra, e.size);
        put_u64(extra, e.size);
      }
      if (z64_offset) put_u64(extra, e.header_offset);
    }
    const uint16_t version = z64_size || z64_offset ? kVersionZip64 : kVersionStored;
    std::string h;
    put_u32(h, zip::kCentralHeaderSig);
    put_u16(h, version);  // made by: MS-DOS attributes, this spec version
    put_u16(h, version);
    put_u16(h, kFlagUtf8);
    put_u16(h, zip::kMethodStored);
    put_u16(h, kDosTime);
    put_u16(h, kDosDate);
    put_u32(h, e.crc32);
    put_u32(h, z64_size ? zip::kMax32 : static_cast<uint32_t>(e.size));
    put_u32(h, z64_size ? zip::kMax32 : static_cast<uint32_t>(e.size));
    put_u16(h, static_cast<uint16_t>(e.name.size()));
    put_u16(h, static_cast<uint16_t>(extra.size()));
    put_u16(h, 0);  // comment
    put_u16(h, 0);  // disk
    put_u16(h, 0);  // internal attributes
    put_u32(h, 0);  // external attributes
    put_u32(h, z64_offset ? zip::kMax32 : static_cast<uint32_t>(e.header_offset));
    h += e.name;
    h += extra;
    out_.write(h.data(), h.size());
  }
  const uint64_t cd_size = out_.position() - cd_offset;
  const uint64_t count = entries_.size();
  const bool z64_end = big(cd_offset) || big(cd_size) || count >= zip::kMax16;
  std::string t;
  if (z64_end) {
    const uint64_t z64_offset = out_.position();
    put_u32(t, zip::kZip64EndOfCentralDirSig);
    put_u64(t, zip::kZip64EndOfCentralDirSize - 12);  // size of the rest of the record
    put_u16(t, kVersionZip64);
    put_u16(t, kVersionZip64);
    put_u32(t, 0);  // this disk
    put_u32(t, 0);  // disk of the central directory
    put_u64(t, count);
    put_u64(t, count);
    put_u64(t, cd_size);
    put_u64(t, cd_offset);
    put_u32(t, zip::kZip64LocatorSig);
    put_u32(t, 0);
    put_u64(t, z64_offset);
    put_u32(t, 1);  // total disks
  }
  put_u32(t, zip::kEndOfCentralDirSig);
  put_u16(t, 0);
  put_u16(t, 0);
  put_u16(t, z64_end ? zip::kMax16 : static_cast<uint16_t>(count));
  put_u16(t, z64_end ? zip::kMax16 : static_cast<uint16_t>(count));
  put_u32(t, z64_end ? zip::kMax32 : static_cast<uint32_t>(cd_size));
  put_u32(t, z64_end ? zip::kMax32 : static_cast<uint32_t>(cd_offset));
  put_u16(t, 0);  // comment
  out_.write(t.data(), t.size());
  out_.commit();
}

}  // namespace ablate::io
