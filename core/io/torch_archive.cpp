// TorchArchiveReader (zip directory + pickle -> tensors in place) and write_torch_archive.
#include "core/io/torch_archive.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "core/error.h"
#include "core/io/checkpoint_file_util.h"
#include "core/io/pickle_writer.h"

namespace ablate::io {
namespace {

using Kind = PickleValue::Kind;

// What a non-state-dict pickle holds, for the "no tensors" message.
std::string describe_values(const PickleValue& top) {
  if (top.kind != Kind::kDict) return "a pickled value that is not a dict";
  std::string nested;
  int tensors_nested = 0;
  for (const auto& [k, v] : top.dict) {
    if (v->kind != Kind::kDict) continue;
    for (const auto& [k2, v2] : v->dict) tensors_nested += v2->kind == Kind::kTensor;
    if (tensors_nested > 0 && nested.empty() && k->kind == Kind::kString) nested = k->text;
  }
  if (!nested.empty()) return "a dict whose tensors are nested under key '" + nested + "' (expected a bare state dict)";
  return "a dict of " + std::to_string(top.dict.size()) + " entries, none of them a tensor";
}

}  // namespace

TorchArchiveReader::TorchArchiveReader(const std::string& path) : zip_(MappedFile::open(path)) {
  for (const auto& e : zip_.entries()) {
    const auto slash = e.name.find('/');
    if (slash != std::string::npos && e.name.substr(slash) == "/data.pkl") {
      archive_name_ = e.name.substr(0, slash);
      break;
    }
  }
  ABLATE_USAGE_CHECK(!archive_name_.empty(), path,
                     ": a zip archive without a <name>/data.pkl record; not a torch.save file");
  const std::string prefix = archive_name_ + "/";
  if (const ZipEntry* order = zip_.find(prefix + "byteorder")) {
    const std::string b = zip_.read(*order);
    ABLATE_USAGE_CHECK(b == "little", path, ": byteorder is '", b, "'; only little-endian archives are supported");
  }
  pickle_ = zip_.read(*zip_.find(prefix + "data.pkl"));
  const auto top =
      unpickle(reinterpret_cast<const uint8_t*>(pickle_.data()), pickle_.size(), path + ": " + prefix + "data.pkl");
  if (top->kind == Kind::kDict) {
    for (const auto& [k, v] : top->dict) {
      if (v->kind != Kind::kTensor) continue;
      ABLATE_USAGE_CHECK(k->kind == Kind::kString, path, ": a state-dict key that is not a string");
      const PickledTensor& pt = v->tensor;
      const std::string record = prefix + "data/" + pt.storage.key;
      const ZipEntry* entry = zip_.find(record);
      ABLATE_USAGE_CHECK(entry != nullptr, path, ": key '", k->text, "' needs the record '", record,
                         "', which the archive lacks; the file is truncated or corrupt");
      zip_.data(*entry);  // stored, inside the file
      const auto elem = static_cast<int64_t>(c10::elementSize(pt.storage.dtype));
      ABLATE_USAGE_CHECK(static_cast<uint64_t>(pt.storage.numel * elem) <= entry->size, path, ": key '", k->text,
                         "': the record '", record, "' holds ", entry->size, " bytes, but its storage needs ",
                         pt.storage.numel * elem, "; the file is corrupt");
      int64_t numel = 1, last = 0;
      for (size_t i = 0; i < pt.shape.size(); ++i) {
        ABLATE_USAGE_CHECK(pt.shape[i] >= 0 && pt.strides[i] >= 0, path, ": key '", k->text,
                           "' has a negative size or stride");
        numel *= pt.shape[i];
        last += (pt.shape[i] - 1) * pt.strides[i];
      }
      const int64_t extent = numel == 0 ? 0 : last + 1;
      ABLATE_USAGE_CHECK(pt.storage_offset >= 0 && pt.storage_offset + extent <= pt.storage.numel, path, ": key '",
                         k->text, "' reaches element ", pt.storage_offset + extent, " of a storage of ",
                         pt.storage.numel, " elements; the file is corrupt");
      StoredTensor t;
      t.key = k->text;
      t.dtype = pt.storage.dtype;
      t.dtype_name = pt.storage.type_name;
      t.shape = pt.shape;
      t.file = path;
      t.offset = entry->data_offset + static_cast<uint64_t>(pt.storage_offset * elem);
      tensors_.push_back(std::move(t));
      layouts_.push_back({pt.strides, extent * elem});
    }
  }
  ABLATE_USAGE_CHECK(!tensors_.empty(), path, ": the pickle holds no tensors (", describe_values(*top),
                     "); expected a state dict saved with torch.save");
  // sort both by key
  std::vector<size_t> order(tensors_.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors_[a].key < tensors_[b].key; });
  std::vector<StoredTensor> sorted;
  std::vector<Layout> sorted_layouts;
  for (size_t i : order) {
    ABLATE_USAGE_CHECK(sorted.empty() || sorted.back().key != tensors_[i].key, path, ": key '", tensors_[i].key,
                       "' appears twice");
    sorted.push_back(tensors_[i]);
    sorted_layouts.push_back(layouts_[i]);
  }
  tensors_ = std::move(sorted);
  layouts_ = std::move(sorted_layouts);
}

const StoredTensor* TorchArchiveReader::find(const std::string& key) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), key,
                             [](const StoredTensor& t, const std::string& k) { return t.key < k; });
  return it != tensors_.end() && it->key == key ? &*it : nullptr;
}

torch::Tensor TorchArchiveReader::view(const std::string& key) const {
  const StoredTensor* t = find(key);
  ABLATE_USAGE_CHECK(t != nullptr, path(), ": no tensor '", key, "'");
  const auto& layout = layouts_[static_cast<size_t>(t - tensors_.data())];
  return view_of_mapping(zip_.file(), t->offset, t->shape, layout.strides, t->dtype);
}

void TorchArchiveReader::release(const std::string& key) const {
  const StoredTensor* t = find(key);
  if (t == nullptr) return;
  zip_.file()->release(t->offset,
                       static_cast<uint64_t>(layouts_[static_cast<size_t>(t - tensors_.data())].extent_bytes));
}

void write_torch_archive(const std::string& path, const std::vector<NamedTensor>& tensors,
                         const TorchArchiveOptions& options) {
  std::string name = options.archive_name;
  if (name.empty()) {
    name = path.substr(path.find_last_of('/') + 1);
    const auto dot = name.find_last_of('.');
    if (dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  }
  std::set<std::string> seen;
  std::vector<PickleTensorEntry> entries;
  for (size_t i = 0; i < tensors.size(); ++i) {
    ABLATE_USAGE_CHECK(seen.insert(tensors[i].name).second, path, ": tensor name '", tensors[i].name, "' given twice");
    entries.push_back({tensors[i].name, std::to_string(i), tensors[i].stored_dtype(), tensors[i].tensor.sizes().vec()});
  }
  ZipWriter zip(path, options.zip);
  const std::string pkl = pickle_state_dict(entries, options.ordered_dict);
  zip.add(name + "/data.pkl", pkl.data(), pkl.size());
  const std::string order = "little";
  zip.add(name + "/byteorder", order.data(), order.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto c = tensors[i].stored_cpu();
    zip.add(name + "/data/" + std::to_string(i), c.data_ptr(), static_cast<uint64_t>(c.numel()) * c.element_size());
  }
  const std::string version = "3\n";  // PyTorchStreamWriter's kProducedFileFormatVersion for torch.save
  zip.add(name + "/version", version.data(), version.size());
  zip.finish();
}

}  // namespace ablate::io
