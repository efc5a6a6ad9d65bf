#include "optimizations/text_embed_once.h"

namespace ablate::opt {

StrategyInfo TextEmbedOnceStrategy::info() const {
  StrategyInfo i;
  i.name = "text_embed_once";
  i.description = "DiT text embedding only in the forward that fills the cross-attention cache";
  i.values = {"off", "on"};
  return i;
}

void TextEmbedOnceStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  chain_forward_hints(pipeline.seams(), [this](dit::ForwardArgs& args, const ForwardSite& site) {
    args.embed_text = site.forward_index == 0;
    if (!args.embed_text) ++skipped_;
  });
}

ABLATE_DEFINE_STRATEGY(text_embed_once, TextEmbedOnceStrategy)

}  // namespace ablate::opt
