// A minimal pickle machine: enough of Python's pickle (protocols 2-5) to read the data.pkl of a
// torch.save'd state dict, as PyTorch 2.x's torch.save and LibTorch's torch::pickle_save write it:
// OrderedDicts / dicts of tensors rebuilt by torch._utils._rebuild_tensor_v2 from storages given as
// persistent ids. Anything else is refused with the opcode (or global) and the file named.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ablate::io {

/// A storage named by a persistent id ('storage', torch.<X>Storage, key, location, numel).
struct PickledStorage {
  std::string key;  // the record data/<key>
  torch::Dtype dtype = torch::kFloat;
  std::string type_name;  // "torch.BFloat16Storage"
  std::string location;   // "cpu", "cuda:0"
  int64_t numel = 0;      // elements of `dtype`
};

/// A tensor as _rebuild_tensor_v2(storage, storage_offset, size, stride, ...) describes it.
struct PickledTensor {
  PickledStorage storage;
  int64_t storage_offset = 0;
  std::vector<int64_t> shape, strides;
};

struct PickleValue;
using PickleValuePtr = std::shared_ptr<PickleValue>;

struct PickleValue {
  enum class Kind {
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kBytes,
    kTuple,
    kList,
    kDict,
    kGlobal,
    kStorage,
    kTensor,
    kObject
  };
  Kind kind = Kind::kNone;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0.0;
  std::string text;                                             // kString, kBytes, kGlobal ("module.name"), kObject
  std::vector<PickleValuePtr> items;                            // kTuple, kList
  std::vector<std::pair<PickleValuePtr, PickleValuePtr>> dict;  // kDict, in insertion order
  PickledStorage storage;                                       // kStorage
  PickledTensor tensor;                                         // kTensor
};

/// Storage class name ("FloatStorage", "BFloat16Storage", ...) -> dtype; false when unknown.
bool storage_dtype(const std::string& name, torch::Dtype* dtype);
/// dtype -> storage class name, e.g. "BFloat16Storage" (TORCH_CHECK failure when none).
std::string storage_type_name(torch::Dtype dtype);

/// Runs the pickle in [data, data + size) and returns the value STOP leaves. `where` names the file
/// and record in errors ("x.pth: archive/data.pkl"). UsageError for an unsupported opcode, a global
/// outside the state-dict set, truncated input, or a malformed stack.
PickleValuePtr unpickle(const uint8_t* data, size_t size, const std::string& where);

}  // namespace ablate::io
