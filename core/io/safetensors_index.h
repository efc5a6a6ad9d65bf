// Sharded safetensors folders as Hugging Face writes them: <base>-0000i-of-0000N.safetensors plus
// <base>.safetensors.index.json = {"metadata": {"total_size": bytes}, "weight_map": {key: file}};
// one <base>.safetensors when everything fits in one shard.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/io/checkpoint_tensor.h"

namespace ablate::io {

struct SafetensorsIndex {
  uint64_t total_size = 0;                        // metadata.total_size: bytes of tensor data
  std::map<std::string, std::string> weight_map;  // key -> shard file name in the index's folder
  /// The distinct shard files, sorted.
  std::vector<std::string> shard_files() const;
};

/// Reads and checks an index file: a JSON object whose weight_map maps every key to a plain file
/// name (no folders, not "." or ".."). UsageError naming the file (and key) otherwise.
SafetensorsIndex read_safetensors_index(const std::string& path);
/// Writes it (keys sorted, 2-space indent, as Hugging Face does).
void write_safetensors_index(const std::string& path, const SafetensorsIndex& index);

/// "<base>.safetensors.index.json", "<base>.safetensors", "<base>-00002-of-00003.safetensors".
std::string safetensors_index_name(const std::string& base);
std::string safetensors_single_name(const std::string& base);
std::string safetensors_shard_name(const std::string& base, int shard, int num_shards);

/// Splits `tensors`, in order, into shards of at most `max_shard_bytes` of data each (a tensor
/// larger than that gets a shard of its own), as Hugging Face's split_torch_state_dict_into_shards:
/// a new shard starts when the next tensor would not fit. Returns index lists into `tensors`.
std::vector<std::vector<size_t>> plan_shards(const std::vector<NamedTensor>& tensors, uint64_t max_shard_bytes);

/// Writes `tensors` into `dir` as <base>.safetensors when they fit in one shard, else as shards
/// plus the index. Returns the file names written (index last).
std::vector<std::string> write_sharded_safetensors(const std::string& dir, const std::string& base,
                                                   const std::vector<NamedTensor>& tensors, uint64_t max_shard_bytes);

}  // namespace ablate::io
