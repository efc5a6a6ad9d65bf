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
    const std::string key = sha256_hex(prompt);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      ++hits_;
      return it->second;
    }
    ++misses_;
    auto context = encoder.encode(prompt);
    cache_[key] = context;
    order_.push_back(key);
    if (max_entries_ > 0 && cache_.size() > max_entries_) {
      cache_.erase(order_.front());
      order_.pop_front();
    }
    return context;
  };
}

void TextCacheStrategy::clear() {
  cache_.clear();
  order_.clear();
}

nlohmann::json TextCacheStrategy::counters() const {
  return {{"hits", hits_}, {"misses", misses_}, {"entries", cache_.size()}, {"mlperf_compliant", false}};
}

ABLATE_DEFINE_STRATEGY(text_cache, TextCacheStrategy)

}  // namespace ablate::opt
