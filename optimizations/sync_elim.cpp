#include "optimizations/sync_elim.h"

namespace ablate::opt {

StrategyInfo SyncElimStrategy::info() const {
  StrategyInfo i;
  i.name = "sync_elim";
  i.description = "DiT forward metadata from the host: 0 instead of 3 device reads per block (PR #51), and the time "
                  "embedding's frequency table made on the device (no blocking copy per forward)";
  i.values = {"off", "on"};
  return i;
}

void SyncElimStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  blocks_ = pipeline.options().model.dit.num_layers();
  chain_forward_hints(pipeline.seams(), [this](dit::ForwardArgs& args, const ForwardSite& site) {
    args.frame_seqlen = site.geometry->frame_seqlen;
    args.cross_attn_first_call = site.forward_index == 0;  // first forward of this generate()
    args.host_kv_indices = true;
    args.seq_len = site.geometry->tokens_per_chunk;
    // beyond PR #51, which left this blocking copy (one sync per forward) in the reference
    args.device_time_frequencies = true;
    ++forwards_;
  });
}

nlohmann::json SyncElimStrategy::counters() const {
  return {{"forwards", forwards_}, {"device_reads_removed", (3 * blocks_ + 1) * forwards_}};
}

ABLATE_DEFINE_STRATEGY(sync_elim, SyncElimStrategy)

}  // namespace ablate::opt
