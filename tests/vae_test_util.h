// Helpers shared by the VAE tests: a seeded tiny VAE, a smooth test video, stage statistics.
#pragma once
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/seeded_init.h"
#include "core/vae/wan_vae.h"

namespace ablate::vae_test {

// The tiny preset's VAE (dim 8), weights from init_parameters + vae_init_rule.
inline vae::WanVae make_tiny_vae(uint64_t seed = 7) {
  vae::WanVae v(vae::WanVaeOptions().dim(8));
  init_parameters(*v, seed, vae::vae_init_rule);
  v->eval();
  return v;
}

// A smooth video in [-1, 1]: [3, n, h, w], bilinear upsampling of a seeded 4x coarser noise.
inline torch::Tensor test_video(int64_t n, int64_t h, int64_t w, uint64_t seed = 123) {
  namespace F = torch::nn::functional;
  auto gen = at::detail::createCPUGenerator(seed);
  auto coarse =
      torch::rand({1, 3 * n, std::max<int64_t>(1, h / 4), std::max<int64_t>(1, w / 4)}, gen) * 2 -
      1;
  auto v = F::interpolate(coarse, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{h, w})
                                      .mode(torch::kBilinear)
                                      .align_corners(false));
  return v.view({3, n, h, w}).contiguous();
}

// Per-stage std range over all steps of a session, and whether every activation was finite.
struct StageStats {
  std::map<std::string, std::pair<double, double>> std_range;  // stage -> (min, max)
  std::vector<std::string> order;
  bool finite = true;

  vae::ActivationProbe probe() {
    return [this](const std::string& stage, const torch::Tensor& x) {
      finite = finite && torch::isfinite(x).all().item<bool>();
      const double s = x.std().item<double>();
      auto it = std_range.find(stage);
      if (it == std_range.end()) {
        order.push_back(stage);
        std_range[stage] = {s, s};
      } else {
        it->second.first = std::min(it->second.first, s);
        it->second.second = std::max(it->second.second, s);
      }
    };
  }
  double min_std() const {
    double m = 1e30;
    for (const auto& kv : std_range) m = std::min(m, kv.second.first);
    return m;
  }
  double max_std() const {
    double m = 0;
    for (const auto& kv : std_range) m = std::max(m, kv.second.second);
    return m;
  }
  void print(const std::string& title) const {
    std::cout << "[ stats ] " << title << ": " << order.size() << " stages, std " << min_std()
              << " .. " << max_std() << "\n";
    for (const auto& k : order) {
      std::cout << "    " << k << ": " << std_range.at(k).first << " .. " << std_range.at(k).second
                << "\n";
    }
  }
};

}  // namespace ablate::vae_test
