// What checkpoint readers and writers exchange: a named tensor to write, a stored tensor's
// description, and TensorSource, the read side of one checkpoint file (or a set of shards) seen
// as key -> tensor, whatever its format (safetensors or a torch.save archive).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ablate::io {

/// A tensor to write under `name` (any device or layout), stored as `dtype` when that is set,
/// else as its own dtype. Writers convert one tensor at a time, so a checkpoint is streamed.
struct NamedTensor {
  NamedTensor(std::string name_, torch::Tensor tensor_, std::optional<torch::Dtype> dtype_ = std::nullopt)
      : name(std::move(name_)), tensor(std::move(tensor_)), dtype(dtype_) {}
  std::string name;
  torch::Tensor tensor;
  std::optional<torch::Dtype> dtype;
  torch::Dtype stored_dtype() const { return dtype.has_value() ? *dtype : tensor.scalar_type(); }
  uint64_t stored_nbytes() const;
  /// The bytes to write: a contiguous CPU tensor in stored_dtype().
  torch::Tensor stored_cpu() const;
};

/// One tensor as a file stores it.
struct StoredTensor {
  std::string key;
  torch::Dtype dtype = torch::kFloat;
  std::string dtype_name;  // the file's own name for it: "BF16", "torch.BFloat16Storage", ...
  std::vector<int64_t> shape;
  std::string file;     // the file holding it
  uint64_t offset = 0;  // byte offset of its data in that file (reading order)
  int64_t numel() const;
  int64_t nbytes() const;
};

/// Read side of a checkpoint file or shard set. Views are read-only tensors onto the mapped file
/// (do not write to them); they keep the mapping alive while they exist.
class TensorSource {
 public:
  virtual ~TensorSource() = default;
  /// The file or folder, for messages.
  virtual const std::string& describe() const = 0;
  /// Every stored tensor, sorted by key.
  virtual const std::vector<StoredTensor>& tensors() const = 0;
  /// The stored tensor `key`, or nullptr.
  const StoredTensor* find(const std::string& key) const;
  /// Tensor `key` in its stored dtype, on the CPU: a view onto the mapping (or a copy where the
  /// file's bytes are not aligned for the dtype).
  virtual torch::Tensor view(const std::string& key) const = 0;
  /// Hands the mapped pages of `key` back to the kernel (they leave the RSS).
  virtual void release(const std::string& key) const = 0;
  /// Unmaps `file` once no view of it is alive; reading a key of it afterwards maps it again.
  virtual void close(const std::string& file) = 0;
};

/// Names of the dtypes a weight may have: floating dtypes only.
bool is_floating_weight_dtype(torch::Dtype dtype);

}  // namespace ablate::io
