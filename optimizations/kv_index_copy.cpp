#include "optimizations/kv_index_copy.h"

namespace ablate::opt {

StrategyInfo KvIndexCopyStrategy::info() const {
  StrategyInfo i;
  i.name = "kv_index_copy";
  i.description = "KV-cache writes with index_copy_ over a per-chunk device index (PR #53)";
  i.values = {"off", "on"};
  return i;
}

void KvIndexCopyStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  chain_forward_hints(pipeline.seams(), [this](dit::ForwardArgs& args, const ForwardSite& site) {
    auto it = index_by_start_.find(site.current_start);
    if (it == index_by_start_.end()) {
      auto idx = torch::arange(site.current_start, site.current_start + site.geometry->tokens_per_chunk,
                               torch::TensorOptions().dtype(torch::kLong).device(site.device));
      it = index_by_start_.emplace(site.current_start, idx).first;
    }
    args.kv_write_index = it->second;
    ++forwards_;
  });
}

nlohmann::json KvIndexCopyStrategy::counters() const { return {{"forwards", forwards_}}; }

ABLATE_DEFINE_STRATEGY(kv_index_copy, KvIndexCopyStrategy)

}  // namespace ablate::opt
