// Sharded parameters as FSDP1 (the reference's dit_fsdp / t5_fsdp): each unit (a block, or the
// root) owns one flat parameter of which every rank keeps a 1/world slice; when the host reaches
// a unit its flat parameter is all-gathered on the gather stream (gather_stream.h: FSDP1's unshard
// stream and rate limiter) and the unit's tensors point into it; after it, residency decides:
// free the block again (FULL_SHARD, the baseline; FSDP1 never reshards the root, so it is
// gathered once and kept), keep everything (SHARD_GRAD_OP), or never shard (NO_SHARD).
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/dist/communicator.h"
#include "core/dist/gather_stream.h"
#include "core/unit_hooks.h"

namespace ablate::dist {

enum class Residency { kFullShard, kKeepGathered, kReplicated };

// The flat-parameter layout every rank and the checkpoint loader agree on: a unit's parameters
// (named_parameters() order) are concatenated, zero-padded to a multiple of `world`, and rank r
// keeps elements [r * shard_numel, (r + 1) * shard_numel).
int64_t shard_numel(int64_t unit_numel, int world);

class ShardedUnit {
 public:
  // Takes the (already initialized, full) parameters; keeps only this rank's slice unless replicated.
  ShardedUnit(std::vector<torch::Tensor> params, Communicator* comm, Residency residency, GatherStream* stream);
  // Takes this rank's already materialized slice (io::load_checkpoint at world > 1): `shard` is
  // [shard_numel(numel, world)] in the parameters' dtype; the parameters give only their shapes
  // (their storage, e.g. untouched host memory, is dropped, never read) and, like the gathered
  // unit, live on the shard's device from now on. Not for kReplicated.
  ShardedUnit(std::vector<torch::Tensor> params, torch::Tensor shard, Communicator* comm, Residency residency,
              GatherStream* stream);
  void gather();   // no-op when gathered; uses an issued (prefetched) gather, else issues one
  void prefetch(); // issues the gather on the gather stream (no-op when gathered or issued)
  void release();  // frees the full flat parameter and queues its free event (sharded units only)
  bool gathered() const { return gathered_; }
  int64_t numel() const { return numel_; }
  int64_t shard_bytes() const { return shard_.defined() ? shard_.numel() * shard_.element_size() : 0; }

 private:
  bool lay_out();     // offsets and shapes; false when the unit stays replicated
  void drop_full();  // the unit's tensors point to nothing; only the shard is kept

  std::vector<torch::Tensor> params_;
  std::vector<int64_t> offsets_;
  std::vector<std::vector<int64_t>> shapes_;
  int64_t numel_ = 0, padded_ = 0;
  torch::Tensor shard_, full_, empty_;
  Communicator* comm_;
  Residency residency_;
  GatherStream* stream_;
  bool gathered_ = true;
  bool issued_ = false;  // the gather is on the gather stream, not yet used
};

// UnitHooks over a model's units: units[0] is the root, units[i + 1] block i.
class ParamShards : public UnitHooks {
 public:
  // prefetch_next (FSDP1's forward_prefetch): when the host reaches unit i, it also issues unit
  // i+1's gather, one unit earlier than it would otherwise.
  ParamShards(std::vector<std::vector<torch::Tensor>> units, Communicator* comm, Residency residency,
              bool prefetch_next = false);
  // The same from this rank's already loaded slices: shards[u] for units[u] (see ShardedUnit).
  ParamShards(std::vector<std::vector<torch::Tensor>> units, std::vector<torch::Tensor> shards, Communicator* comm,
              Residency residency, bool prefetch_next = false);
  // The bytes this rank keeps of every unit's flat parameter (its shards; 0 when replicated).
  int64_t shard_bytes() const;
  // The limiter's host waits so far (kGatherLimiter).
  int64_t limiter_waits() const { return stream_->limiter_waits(); }
  void before(int64_t unit) override;
  void after(int64_t unit) override;
  Residency residency() const { return residency_; }
  int64_t num_units() const { return static_cast<int64_t>(units_.size()); }

 private:
  std::unique_ptr<GatherStream> stream_;  // before units_: they point to it
  std::vector<ShardedUnit> units_;
  Residency residency_;
  bool prefetch_next_;
};

// Splits a module's named parameters into [root, block 0, block 1, ...] by the "<blocks>.<i>." prefix.
std::vector<std::vector<torch::Tensor>> units_by_block_prefix(torch::nn::Module& module,
                                                               const std::string& blocks_prefix,
                                                               int64_t num_blocks);

}  // namespace ablate::dist
