#include "optimizations/vae_decode_graph.h"

#include <sstream>

namespace ablate::opt {

#if !defined(ABLATE_CUDA)
std::unique_ptr<DecodeGraphs> make_decode_graphs(torch::Device) { return nullptr; }
#endif

std::string decode_graph_eager_reason(const vae::DecodeStep& step) {
  if (step.frame < 2) return "latent frames 0 and 1 grow the caches";
  for (const auto& slot : step.cache.slots())
    if (slot.state != vae::CacheSlot::State::kTensor) return "a cache slot holds no tensor";
  return "";
}

std::string decode_graph_key(const vae::DecodeStep& step) {
  std::ostringstream key;
  key << step.input.sizes() << step.input.scalar_type() << step.input.device();
  for (const auto& slot : step.cache.slots()) key << slot.frames.sizes();
  return key.str();
}

VaeDecodeGraphStrategy::VaeDecodeGraphStrategy() = default;
VaeDecodeGraphStrategy::~VaeDecodeGraphStrategy() = default;

StrategyInfo VaeDecodeGraphStrategy::info() const {
  StrategyInfo i;
  i.name = "vae_decode_graph";
  i.description = "VAE decoder's per-frame step captured as a CUDA graph and replayed (frames >= 2)";
  i.values = {"off", "on"};
  i.cuda_only = true;
  return i;
}

std::string VaeDecodeGraphStrategy::validate(const std::string& value, const RunConfig& config) const {
  if (value == info().values.front()) return "";
  if (!config.device.is_cuda()) return "vae_decode_graph needs a CUDA device (CUDA graphs)";
  return Strategy::validate(value, config);
}

void VaeDecodeGraphStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  graphs_ = make_decode_graphs(pipeline.options().device);
  if (!graphs_) return;  // not a CUDA device (validate() says why): steps stay eager
  pipeline.seams().decode_step = [this](const vae::DecodeStep& step) {
    if (!decode_graph_eager_reason(step).empty()) {
      ++eager_;
      return step.run(step.input);
    }
    bool replayed = false;
    auto y = graphs_->run(step, decode_graph_key(step), replayed);
    ++(replayed ? replays_ : captures_);
    return y;
  };
}

nlohmann::json VaeDecodeGraphStrategy::counters() const {
  return {{"captures", captures_},
          {"replays", replays_},
          {"eager_steps", eager_},
          {"graphs", graphs_ ? static_cast<int64_t>(graphs_->size()) : 0}};
}

ABLATE_DEFINE_STRATEGY(vae_decode_graph, VaeDecodeGraphStrategy)

}  // namespace ablate::opt
