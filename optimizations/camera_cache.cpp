#include "optimizations/camera_cache.h"

#include "core/cuda_device.h"

namespace ablate::opt {

StrategyInfo CameraCacheStrategy::info() const {
  StrategyInfo i;
  i.name = "camera_cache";
  i.description =
      "camera embedding and every block's camera scale/shift computed in a chunk's first forward, read by its "
      "other four (same GEMMs, same bits)";
  i.values = {"off", "on"};
  return i;
}

CameraCacheStrategy::Terms CameraCacheStrategy::provide(int64_t block, bool fill, int64_t chunk,
                                                        const std::function<Terms()>& compute) {
  if (!fill) {
    const auto it = filled_.find(block);
    if (it != filled_.end() && std::get<0>(it->second) == generation_ && std::get<1>(it->second) == chunk) {
      ++reuses_;
      return buffers_.at({block, std::get<2>(it->second)});
    }
    ++computed_;  // not filled this chunk (its fill was skipped): the core's computation
    return compute();
  }
  Terms terms = compute();
  const std::vector<int64_t> shape = terms.first.sizes().vec();
  auto buffer = buffers_.find({block, shape});
  if (buffer == buffers_.end()) {
    // storage that outlives this forward cannot be made inside a graph capture: compute only
    if (stream_is_capturing(device_)) {
      ++computed_;
      return terms;
    }
    Terms made{terms.first.clone(), terms.second.defined() ? terms.second.clone() : torch::Tensor()};
    bytes_ += static_cast<int64_t>(made.first.nbytes() + (made.second.defined() ? made.second.nbytes() : 0));
    buffer = buffers_.emplace(std::make_pair(block, shape), made).first;
  } else {
    // the same addresses every chunk: a captured reading forward reads what this one wrote
    buffer->second.first.copy_(terms.first);
    if (terms.second.defined()) buffer->second.second.copy_(terms.second);
  }
  filled_[block] = {generation_, chunk, shape};
  ++fills_;
  return buffer->second;
}

void CameraCacheStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  device_ = pipeline.options().device;
  buffers_.clear();  // a rebuilt engine (persistent=per_request) fills its own
  filled_.clear();
  chain_forward_hints(pipeline.seams(), [this](dit::ForwardArgs& args, const ForwardSite& site) {
    if (site.forward_index == 0) ++generation_;
    // a chunk's forwards share its control input: the first denoising step fills, the rest read
    const bool fill = site.step == 0 && !site.refresh;
    args.provider_phase += fill ? "camera_cache:fill;" : "camera_cache:read;";
    args.camera_terms = [this, fill, chunk = site.chunk](int64_t block, const std::function<Terms()>& compute) {
      return provide(block, fill, chunk, compute);
    };
  });
}

nlohmann::json CameraCacheStrategy::counters() const {
  return {{"fills", fills_}, {"reuses", reuses_}, {"computed", computed_}, {"buffers", buffers_.size()},
          {"bytes", bytes_}};
}

ABLATE_DEFINE_STRATEGY(camera_cache, CameraCacheStrategy)

}  // namespace ablate::opt
