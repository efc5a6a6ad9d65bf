// TensorSources over the reference's checkpoint files: a diffusers weights folder (one
// <base>.safetensors, or shards named by <base>.safetensors.index.json) and a torch.save archive.
#pragma once
#include <memory>
#include <string>

#include "core/io/checkpoint_tensor.h"

namespace ablate::io {

/// The safetensors weights of `folder` under the diffusers names for `base`: the index and every
/// shard it names when <base>.safetensors.index.json exists, else <base>.safetensors. Every header
/// is read and checked; the index and the shards must agree (each mapped key in its shard, each
/// shard tensor in the index). UsageError naming the file (and key) otherwise, including an index
/// naming a missing shard.
std::unique_ptr<TensorSource> open_safetensors_folder(const std::string& folder, const std::string& base);

/// One torch.save archive (TorchArchiveReader) as a TensorSource.
std::unique_ptr<TensorSource> open_torch_archive(const std::string& path);

/// True when `path` exists (any kind of file).
bool path_exists(const std::string& path);

}  // namespace ablate::io
