// MappedFile: a whole file mapped read-only into memory, with bounds-checked access and a way to
// hand pages back to the kernel (so a loader's resident set stays about one tensor large).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace ablate::io {

class MappedFile {
 public:
  /// Maps `path` read-only (MAP_PRIVATE). UsageError naming the file when it is missing, not a
  /// regular file, or cannot be mapped. An empty file maps to size() == 0 and data() == nullptr.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

  /// Pointer to bytes [offset, offset + length); UsageError "<path>: <what> at bytes [a, b) runs
  /// past the end of the file (N bytes); the file is truncated or corrupt" when out of range.
  const uint8_t* at(uint64_t offset, uint64_t length, const std::string& what) const;

  /// Drops the resident pages overlapping [offset, offset + length) (MADV_DONTNEED, rounded out to
  /// whole pages): they leave this process's RSS, and are read back from the file if touched again
  /// (the mapping is read-only, so nothing is lost).
  void release(uint64_t offset, uint64_t length) const;
  void release_all() const { release(0, size_); }

 private:
  MappedFile(std::string path, uint8_t* data, uint64_t size);
  std::string path_;
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

/// Resident set size of this process in bytes (VmRSS from /proc/self/status), and its peak
/// (VmHWM); 0 where /proc is unavailable.
int64_t current_rss_bytes();
int64_t peak_rss_bytes();
/// Resets the peak (VmHWM) to the current RSS (writes "5" to /proc/self/clear_refs); false when the
/// kernel refuses.
bool reset_peak_rss();

}  // namespace ablate::io
