// Checkpoints in the reference's layout (checkpoint_layout.h): check against a preset before any
// work, load into the DiT, T5 and VAE (memory-mapped, one file at a time, optionally only this
// rank's parameter shards), export seeded weights, and a cheap digest for fingerprints.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/io/checkpoint_layout.h"

namespace ablate::io {

/// Verifies, before anything is loaded: every file exists (all missing ones listed), config.json
/// matches the preset, and each file's keys, shapes and dtypes match `spec` (floating dtypes
/// only). Throws one UsageError that names each bad file with its missing keys, unexpected keys
/// (each list capped at 10, with the total), wrong shapes (key, expected, found) and non-floating
/// dtypes (key, dtype). Reads headers and pickles only.
void check_checkpoint(const std::string& dir, const ModelConfig& config, const CheckpointSpec& spec);
/// The same against checkpoint_spec(config).
void check_checkpoint(const std::string& dir, const ModelConfig& config);

struct LoadOptions {
  /// Simulated or real place in the world. At world_size > 1 the DiT and T5 parameters are not
  /// written; instead each unit's flat parameter (dist::units_by_block_prefix(module, "blocks", n):
  /// root first, then block i; parameters in named_parameters() order, zero-padded to a multiple
  /// of world_size) is loaded as this rank's 1/world_size slice only, exactly what
  /// dist::ShardedUnit keeps (dist::shard_numel). The VAE is always loaded whole.
  int rank = 0;
  int world_size = 1;
  /// Which groups are sliced at world_size > 1 (a false one is loaded whole, e.g. a T5 that is
  /// offloaded to the host rather than sharded).
  bool shard_dit = true;
  bool shard_t5 = true;
  /// Where the slices are made; unset: on the parameters' device. With it the parameters may
  /// live anywhere (e.g. untouched host memory): only their shapes and dtype are read.
  std::optional<torch::Device> shard_device = std::nullopt;
};

struct LoadResult {
  /// At world_size > 1: this rank's slice of each unit's flat parameter, [padded / world_size] in
  /// the unit's parameter dtype and device; unit 0 is the root, unit i + 1 block i. Empty at 1
  /// (and for a group loaded whole).
  std::vector<torch::Tensor> dit_shards, t5_shards;
  int64_t tensors_read = 0;
  int64_t bytes_read = 0;  // stored bytes copied out of the files
  int64_t files = 0;
};

/// Loads `dir` into the modules: each stored tensor is copied (cast to the parameter's dtype and
/// moved to its device) from the mapped file, then its pages are handed back to the kernel; files
/// are read one at a time, each unmapped when done, so the host RSS grows by about one tensor, not
/// one file. Assumes check_checkpoint passed (it still throws UsageError for a missing key).
LoadResult load_checkpoint(const std::string& dir, const CheckpointModules& modules, const LoadOptions& options = {});

struct ExportOptions {
  /// The DiT is split into shards of at most this many bytes (diffusers' default "10GB"); one
  /// file when it fits.
  uint64_t max_shard_bytes = 10'000'000'000ull;
  /// Written into config.json (the reference overrides them from its command line).
  int64_t local_attn_size = -1;
  int64_t sink_size = 0;
};

/// Writes the modules' weights in the reference's layout and dtypes: T5 bf16 (torch.save
/// archive), VAE float32 (torch.save archive), DiT bf16 (safetensors, sharded with an index over
/// max_shard_bytes) and its config.json. Each tensor is converted and written on its own
/// (streamed). Creates `dir`. The modules must hold full (unsharded) parameters.
void export_checkpoint(const std::string& dir, const CheckpointModules& modules, const ModelConfig& config,
                       const ExportOptions& options = {});

/// A cheap, stable digest (SHA-256, hex) of the checkpoint files in `dir` that the loader reads,
/// in a fixed order (config.json, the index if any, the DiT shards sorted by name, the T5 file,
/// the VAE file). Per file it covers the path relative to `dir`, the size in bytes, the format
/// header (a safetensors header; a torch archive's data.pkl; a JSON file whole) and the SHA-256 of
/// its first and of its last MiB. A change of bytes strictly inside a large file's tensor data,
/// away from both ends, is not seen (that would need reading every byte). UsageError when a file
/// is missing.
std::string checkpoint_hash(const std::string& dir);

}  // namespace ablate::io
