// text_embed_once: compute the DiT's text embedding only in the forward that fills the
// cross-attention cache (the first of a generate()); the reference recomputes it every forward
// and never uses it again. Exact: the skipped output is unused.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class TextEmbedOnceStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override { return {{"text_embeddings_skipped", skipped_}}; }

 private:
  int64_t skipped_ = 0;
};

}  // namespace ablate::opt
