// Safetensors-folder and torch-archive TensorSources: readers opened per file, reopened lazily
// after close() so a loader can unmap each file when it is done with it.
#include "core/io/checkpoint_source.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <memory>

#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/io/safetensors_index.h"
#include "core/io/torch_archive.h"

namespace ablate::io {
namespace {

class SafetensorsFolderSource : public TensorSource {
 public:
  SafetensorsFolderSource(const std::string& folder, const std::string& base) {
    const std::string index_path = folder + "/" + safetensors_index_name(base);
    const std::string single = folder + "/" + safetensors_single_name(base);
    if (path_exists(index_path)) {
      describe_ = index_path;
      const SafetensorsIndex index = read_safetensors_index(index_path);
      for (const auto& name : index.shard_files()) {
        const std::string shard = folder + "/" + name;
        if (!path_exists(shard)) {
          std::string key;
          for (const auto& [k, f] : index.weight_map) {
            if (f == name) {
              key = k;
              break;
            }
          }
          throw UsageError(index_path + ": names the shard '" + name + "' (for key '" + key + "' and others), but " +
                           shard + " does not exist");
        }
        auto reader = std::make_unique<SafetensorsReader>(shard);
        for (const auto& t : reader->tensors()) {
          auto it = index.weight_map.find(t.key);
          ABLATE_USAGE_CHECK(it != index.weight_map.end() && it->second == name, shard, ": key '", t.key, "' is ",
                             it == index.weight_map.end() ? std::string("missing from the index ") + index_path
                                                          : "mapped to " + it->second + " by the index " + index_path);
          tensors_.push_back(t);
        }
        readers_[shard] = std::move(reader);
      }
      for (const auto& [key, name] : index.weight_map) {
        const auto& r = readers_.at(folder + "/" + name);
        ABLATE_USAGE_CHECK(r->find(key) != nullptr, index_path, ": maps key '", key, "' to ", name,
                           ", which does not hold it");
      }
    } else {
      ABLATE_USAGE_CHECK(path_exists(single), folder, ": neither ", safetensors_single_name(base), " nor ",
                         safetensors_index_name(base), " exists (", base,
                         ".bin, a pickle, is not supported: convert it to safetensors)");
      describe_ = single;
      auto reader = std::make_unique<SafetensorsReader>(single);
      tensors_ = reader->tensors();
      readers_[single] = std::move(reader);
    }
    std::sort(tensors_.begin(), tensors_.end(),
              [](const StoredTensor& a, const StoredTensor& b) { return a.key < b.key; });
  }

  const std::string& describe() const override { return describe_; }
  const std::vector<StoredTensor>& tensors() const override { return tensors_; }
  torch::Tensor view(const std::string& key) const override { return reader(key).view(*stored(key)); }
  void release(const std::string& key) const override { reader(key).release(*stored(key)); }
  void close(const std::string& file) override {
    auto it = readers_.find(file);
    if (it != readers_.end()) it->second.reset();
  }

 private:
  const StoredTensor* stored(const std::string& key) const {
    const StoredTensor* t = find(key);
    ABLATE_USAGE_CHECK(t != nullptr, describe_, ": no tensor '", key, "'");
    return t;
  }
  const SafetensorsReader& reader(const std::string& key) const {
    auto& r = readers_.at(stored(key)->file);
    if (!r) r = std::make_unique<SafetensorsReader>(stored(key)->file);
    return *r;
  }

  std::string describe_;
  std::vector<StoredTensor> tensors_;
  mutable std::map<std::string, std::unique_ptr<SafetensorsReader>> readers_;
};

class TorchArchiveSource : public TensorSource {
 public:
  explicit TorchArchiveSource(const std::string& path)
      : path_(path), reader_(std::make_unique<TorchArchiveReader>(path)) {
    tensors_ = reader_->tensors();
  }
  const std::string& describe() const override { return path_; }
  const std::vector<StoredTensor>& tensors() const override { return tensors_; }
  torch::Tensor view(const std::string& key) const override { return reader().view(key); }
  void release(const std::string& key) const override { reader().release(key); }
  void close(const std::string& file) override {
    if (file == path_) reader_.reset();
  }

 private:
  const TorchArchiveReader& reader() const {
    if (!reader_) reader_ = std::make_unique<TorchArchiveReader>(path_);
    return *reader_;
  }
  std::string path_;
  mutable std::unique_ptr<TorchArchiveReader> reader_;
  std::vector<StoredTensor> tensors_;
};

}  // namespace

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::unique_ptr<TensorSource> open_safetensors_folder(const std::string& folder, const std::string& base) {
  return std::make_unique<SafetensorsFolderSource>(folder, base);
}

std::unique_ptr<TensorSource> open_torch_archive(const std::string& path) {
  ABLATE_USAGE_CHECK(path_exists(path), path, ": does not exist");
  return std::make_unique<TorchArchiveSource>(path);
}

}  // namespace ablate::io
