#include "experiments/runner/engine_parts.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>

#include <c10/util/Exception.h>

namespace ablate {
namespace {

// One 0/1 feature per strategy value present in the group (a missing strategy is its baseline
// value, which is a level too: "sync_elim=off" balances as much as "sync_elim=on").
struct Features {
  std::vector<std::vector<int>> of;  // per group position
  std::vector<double> share;         // per feature: fraction of the group that has it
};

Features features(const std::vector<size_t>& group, const std::vector<Combination>& combos) {
  std::map<std::string, std::map<std::string, int>> index;  // strategy -> value -> feature
  for (size_t i : group)
    for (const auto& [name, value] : combos[i].values) index[name][value] = 0;
  int n = 0;
  for (auto& [name, values] : index) {
    values[""] = 0;  // the baseline value
    for (auto& [value, f] : values) f = n++;
  }
  Features out;
  out.share.assign(static_cast<size_t>(n), 0.0);
  for (size_t i : group) {
    std::vector<int> x(static_cast<size_t>(n), 0);
    for (const auto& [name, values] : index) {
      const auto it = combos[i].values.find(name);
      x[static_cast<size_t>(values.at(it == combos[i].values.end() ? "" : it->second))] = 1;
    }
    for (int f = 0; f < n; ++f) out.share[static_cast<size_t>(f)] += x[static_cast<size_t>(f)];
    out.of.push_back(std::move(x));
  }
  for (auto& s : out.share) s /= static_cast<double>(group.size());
  return out;
}

double imbalance(const std::vector<std::vector<size_t>>& parts_pos, const Features& fx) {
  double total = 0;
  for (const auto& part : parts_pos)
    for (size_t f = 0; f < fx.share.size(); ++f) {
      double count = 0;
      for (size_t p : part) count += fx.of[p][f];
      const double d = count - fx.share[f] * static_cast<double>(part.size());
      total += d * d;
    }
  return total;
}

}  // namespace

double parts_imbalance(const std::vector<std::vector<size_t>>& parts, const std::vector<Combination>& combos) {
  std::vector<size_t> group;
  std::vector<std::vector<size_t>> pos;
  for (const auto& part : parts) {
    pos.emplace_back();
    for (size_t i : part) {
      pos.back().push_back(group.size());
      group.push_back(i);
    }
  }
  return group.empty() ? 0.0 : imbalance(pos, features(group, combos));
}

std::vector<std::vector<size_t>> balanced_parts(const std::vector<size_t>& group, const std::vector<Combination>& combos,
                                                size_t max_size, uint64_t seed) {
  TORCH_CHECK(max_size >= 1, "balanced_parts: expected a part size >= 1, found ", max_size);
  const size_t n = group.size();
  if (n <= max_size) return {group};
  const size_t parts = (n + max_size - 1) / max_size;
  const Features fx = features(group, combos);
  std::vector<size_t> part_of(n);  // group position -> part
  std::vector<size_t> best;
  double best_cost = 0;
  std::mt19937_64 rng(seed);
  // random restarts, each improved by the best pairwise swap until none helps
  for (int restart = 0; restart < 16; ++restart) {
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t k = 0; k < n; ++k) part_of[order[k]] = k % parts;  // sizes differ by at most one
    // counts[part][feature]; a swap changes two parts' counts only where the two runs differ
    const size_t nf = fx.share.size();
    std::vector<size_t> size(parts, 0);
    std::vector<std::vector<double>> counts(parts, std::vector<double>(nf, 0.0));
    for (size_t i = 0; i < n; ++i) {
      ++size[part_of[i]];
      for (size_t f = 0; f < nf; ++f) counts[part_of[i]][f] += fx.of[i][f];
    }
    auto term = [&](size_t p, size_t f, double count) {
      const double d = count - fx.share[f] * static_cast<double>(size[p]);
      return d * d;
    };
    double cost = 0;
    for (size_t p = 0; p < parts; ++p)
      for (size_t f = 0; f < nf; ++f) cost += term(p, f, counts[p][f]);
    for (bool improved = true; improved && cost > 1e-12;) {
      improved = false;
      size_t bi = 0, bj = 0;
      double best_delta = -1e-12;
      for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j < n; ++j) {
          const size_t a = part_of[i], b = part_of[j];
          if (a == b) continue;
          double delta = 0;
          for (size_t f = 0; f < nf; ++f) {
            const double d = fx.of[j][f] - fx.of[i][f];  // part a gains j's features, loses i's
            if (d == 0) continue;
            delta += term(a, f, counts[a][f] + d) - term(a, f, counts[a][f]) + term(b, f, counts[b][f] - d) -
                     term(b, f, counts[b][f]);
          }
          if (delta < best_delta) best_delta = delta, bi = i, bj = j;
        }
      if (best_delta < -1e-12) {
        const size_t a = part_of[bi], b = part_of[bj];
        for (size_t f = 0; f < nf; ++f) {
          const double d = fx.of[bj][f] - fx.of[bi][f];
          counts[a][f] += d;
          counts[b][f] -= d;
        }
        std::swap(part_of[bi], part_of[bj]);
        cost += best_delta;
        improved = true;
      }
    }
    if (best.empty() || cost < best_cost - 1e-12) best = part_of, best_cost = cost;
    if (best_cost <= 1e-12) break;
  }
  std::vector<std::vector<size_t>> out(parts);
  for (size_t i = 0; i < n; ++i) out[best[i]].push_back(group[i]);  // each part in group order
  return out;
}

}  // namespace ablate
