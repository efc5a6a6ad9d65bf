#include "optimizations/text_cache.h"

#include "core/text/text_encoder.h"
#include "core/video_hash.h"

namespace ablate::opt {

StrategyInfo TextCacheStrategy::info() const {
  StrategyInfo i;
  i.name = "text_cache";
  i.description = "text-encoder output cached by sha256(prompt) across generate() calls";
  i.values = {"off", "on"};
  return i;
}

void TextCacheStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  pipeline.seams().embed_text = [this](text::TextEncoder& encoder, const std::string& prompt) {
    return cache_.get_or_compute(sha256_hex(prompt), [&] { return encoder.encode(prompt); });
  };
}

void TextCacheStrategy::clear() { cache_.clear(); }

nlohmann::json TextCacheStrategy::counters() const {
  return cache_.counters();
}

ABLATE_DEFINE_STRATEGY(text_cache, TextCacheStrategy)

}  // namespace ablate::opt
