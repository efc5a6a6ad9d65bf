#include "optimizations/vae_encode_settle.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/host_read.h"

namespace ablate::opt {

double feature_cache_relative_change(const std::vector<vae::CacheSlot>& a, const std::vector<vae::CacheSlot>& b) {
  using State = vae::CacheSlot::State;
  if (a.size() != b.size()) return -1;
  std::vector<torch::Tensor> diff2, ref2;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].state != b[i].state) return -1;
    if (a[i].state != State::kTensor) continue;
    const auto& x = a[i].frames;
    const auto& y = b[i].frames;
    if (x.sizes() != y.sizes() || x.scalar_type() != y.scalar_type() || x.device() != y.device()) return -1;
    auto xd = x.to(torch::kDouble), yd = y.to(torch::kDouble);
    diff2.push_back((xd - yd).pow(2).sum());
    ref2.push_back(yd.pow(2).sum());
  }
  if (diff2.empty()) return 0;
  // one read for all slots: [sum |a - b|^2, sum |b|^2]
  auto sums = torch::stack({torch::stack(diff2).sum(), torch::stack(ref2).sum()});
  count_host_sync(HostReadSite::kOther, sums.is_cuda());
  sums = sums.cpu();
  const double d = sums[0].item<double>(), r = sums[1].item<double>();
  return r > 0 ? std::sqrt(d / r) : (d > 0 ? INFINITY : 0.0);
}

StrategyInfo VaeEncodeSettleStrategy::info() const {
  StrategyInfo i;
  i.name = "vae_encode_settle";
  i.description =
      "first-frame encode: reuse a zero group's latent for the rest once the encoder caches change by at most the "
      "value (relative L2) per group";
  i.values = {"off", "1e-2", "3e-2"};
  i.tier = Tier::kB;
  i.conflicts = {"vae_encode_fixed_point"};  // both answer the encoder's reuse seam
  i.min_psnr_db = 35.0;
  i.min_frame_psnr_db = 30.0;
  i.max_latent_rel_l2 = 0.02;
  return i;
}

std::string VaeEncodeSettleStrategy::validate(const std::string& value, const RunConfig& config) const {
  const auto values = info().values;
  if (std::find(values.begin(), values.end(), value) == values.end())
    throw UsageError("vae_encode_settle: unknown value '" + value + "' (expected off, 1e-2 or 3e-2)");
  return Strategy::validate(value, config);
}

void VaeEncodeSettleStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  tolerance_ = std::stod(value);
  pipeline.seams().reuse_encoded_group = reuse_once_settled(counts_, [this](const vae::EncodeGroupSite& site) {
    last_change_ = feature_cache_relative_change(*site.cache, *site.previous_cache);
    return last_change_ >= 0 && last_change_ <= tolerance_;
  });
}

nlohmann::json VaeEncodeSettleStrategy::counters() const {
  return {{"groups_encoded", counts_.encoded},
          {"groups_reused", counts_.reused},
          {"cache_checks", counts_.checks},
          {"settle_group", counts_.first_reused_group},
          {"encodes", counts_.encodes},
          {"last_relative_change", last_change_}};
}

ABLATE_DEFINE_STRATEGY(vae_encode_settle, VaeEncodeSettleStrategy)

}  // namespace ablate::opt
