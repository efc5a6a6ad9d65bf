// Helpers shared by the statistics tests: seeded normal noise that is the same with every standard
// library (Box-Muller on raw mt19937_64 output; std::normal_distribution's algorithm is unspecified).
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace ablate::stats::test {

class SeededNoise {
 public:
  explicit SeededNoise(uint64_t seed) : rng_(seed) {}

  double normal() {
    // u1 in (0, 1], u2 in [0, 1) from the top 53 bits
    const double u1 = (static_cast<double>(rng_() >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

  std::vector<double> samples(int n, double mean, double sigma) {
    std::vector<double> v;
    for (int i = 0; i < n; ++i) v.push_back(mean + sigma * normal());
    return v;
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace ablate::stats::test
