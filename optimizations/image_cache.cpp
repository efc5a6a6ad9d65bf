#include "optimizations/image_cache.h"

#include "core/video_hash.h"

namespace ablate::opt {

std::string image_cache_key(const torch::Tensor& image, const VideoGeometry& g) {
  const torch::Tensor bytes = image.to(torch::kCPU, torch::kFloat).contiguous();
  std::string key = tensor_md5(bytes);
  for (int64_t d : image.sizes()) key += "x" + std::to_string(d);
  return key + "/" + std::to_string(g.height) + "*" + std::to_string(g.width) + "/" + std::to_string(g.frames);
}

StrategyInfo ImageCacheStrategy::info() const {
  StrategyInfo i;
  i.name = "image_cache";
  i.description = "first-frame VAE encode cached by md5(image pixels) + geometry across generate() calls";
  i.values = {"off", "on"};
  return i;
}

void ImageCacheStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  pipeline.seams().encode_first_frame = [this](const torch::Tensor& image, const VideoGeometry& g,
                                               const std::function<torch::Tensor()>& encode) {
    return cache_.get_or_compute(image_cache_key(image, g), encode);  // [16, lat_f, lat_h, lat_w]
  };
}

nlohmann::json ImageCacheStrategy::counters() const {
  return cache_.counters();
}

ABLATE_DEFINE_STRATEGY(image_cache, ImageCacheStrategy)

}  // namespace ablate::opt
