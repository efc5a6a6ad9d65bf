// Two-level factorial designs, resolution checks and effect estimates (see factorial.h).
#include "experiments/stats/factorial.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <stdexcept>

namespace ablate::stats {
namespace {

// Factor letters as design tables write them: A..Z without I, which stands for the identity word.
constexpr char kLetters[] = "ABCDEFGHJKLMNOPQRSTUVWXYZ";
constexpr int kMaxLetters = 25;
std::string factor_letter(int i) { return std::string(1, kLetters[i]); }
size_t letter_index(char c) { return std::string(kLetters).find(c); }

// Generated columns as words over the base factors (letters), per k: Montgomery Table 8.14.
const std::map<int, std::vector<std::string>>& generator_table() {
  static const std::map<int, std::vector<std::string>> table{
      {6, {"ABC", "BCD"}},
      {7, {"ABC", "BCD", "ACD"}},
      {8, {"BCD", "ACD", "ABC", "ABD"}},
      {9, {"BCDE", "ACDE", "ABDE", "ABCE"}},
      {10, {"ABCD", "ABCE", "ABDE", "ACDE", "BCDE"}},
      {11, {"ABC", "BCD", "CDE", "ACD", "ADE", "BDE"}},
  };
  return table;
}

// Odd-size subsets of q base factors, size 3 first, then 5, ... (each in lexicographic order).
std::vector<std::string> odd_words(int q, int count) {
  std::vector<std::string> words;
  for (int size = 3; size <= q && static_cast<int>(words.size()) < count; size += 2) {
    std::vector<bool> pick(q, false);
    std::fill(pick.begin(), pick.begin() + size, true);  // prev_permutation walks subsets lexicographically
    do {
      std::string w;
      for (int i = 0; i < q; ++i)
        if (pick[i]) w += factor_letter(i);
      words.push_back(w);
    } while (static_cast<int>(words.size()) < count && std::prev_permutation(pick.begin(), pick.end()));
  }
  return words;
}

int ceil_log2(int k) {
  int q = 0;
  while ((1 << q) < k) ++q;
  return q;
}

uint32_t run_mask(const Levels& run) {
  uint32_t m = 0;
  for (size_t i = 0; i < run.size(); ++i)
    if (run[i]) m |= 1u << i;
  return m;
}

int popcount(uint32_t v) {
  int c = 0;
  for (; v; v &= v - 1) ++c;
  return c;
}

size_t check_runs(const std::vector<Levels>& runs, const char* what) {
  if (runs.empty()) throw std::invalid_argument(std::string(what) + ": expected at least one run");
  const size_t k = runs[0].size();
  for (const auto& r : runs)
    if (r.size() != k)
      throw std::invalid_argument(std::string(what) + ": expected every run to have " + std::to_string(k) +
                                  " factors, but got " + std::to_string(r.size()));
  return k;
}

long dot(const std::vector<int>& a, const std::vector<int>& b) {
  long s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// Effects from per-run responses and ±1 contrast columns: mean at +1 minus mean at -1.
void estimate_effects(const std::vector<double>& y, const std::vector<std::vector<int>>& columns,
                      std::vector<double>& out) {
  out.resize(columns.size());
  for (size_t e = 0; e < columns.size(); ++e) {
    double hi = 0.0, lo = 0.0;
    int n_hi = 0, n_lo = 0;
    for (size_t r = 0; r < y.size(); ++r) {
      if (columns[e][r] > 0) hi += y[r], ++n_hi;
      else lo += y[r], ++n_lo;
    }
    out[e] = hi / n_hi - lo / n_lo;
  }
}

}  // namespace

Design full_factorial(int k) {
  if (k < 1 || k > 20) throw std::invalid_argument("full_factorial: expected k in 1..20, but got " + std::to_string(k));
  Design d;
  d.k = d.base_factors = k;
  for (int i = 0; i < k; ++i) d.names.push_back(factor_letter(i));
  for (uint32_t m = 0; m < (1u << k); ++m) {
    Levels run(k);
    for (int i = 0; i < k; ++i) run[i] = (m >> i) & 1u;  // standard order: A alternates fastest
    d.runs.push_back(run);
  }
  return d;
}

Design fractional_factorial(int k, int full_up_to) {
  if (k < 1 || k > kMaxLetters)
    throw std::invalid_argument("fractional_factorial: expected k in 1.." + std::to_string(kMaxLetters) +
                                ", but got " + std::to_string(k));
  if (k <= full_up_to) return full_factorial(k);
  std::vector<std::string> words;
  int q = 0;
  const auto it = generator_table().find(k);
  if (it != generator_table().end()) {
    words = it->second;
    q = k - static_cast<int>(words.size());
  } else if (k <= 5) {
    // A fraction of a small design: the half fraction with the longest word, I = AB..K
    // (resolution k), so only k = 4, 5 reach resolution IV.
    if (k < 4)
      throw std::invalid_argument("fractional_factorial: a fraction of k = " + std::to_string(k) +
                                  " factors is below resolution IV; use the full factorial");
    q = k - 1;
    words = {std::string()};
    for (int i = 0; i < q; ++i) words[0] += factor_letter(i);
  } else {
    q = ceil_log2(k) + 1;
    words = odd_words(q, k - q);
  }
  Design base = full_factorial(q);
  Design d;
  d.k = k;
  d.base_factors = q;
  for (int i = 0; i < k; ++i) d.names.push_back(factor_letter(i));
  for (size_t g = 0; g < words.size(); ++g)
    d.generators.push_back(factor_letter(q + static_cast<int>(g)) + " = " + words[g]);
  for (const auto& b : base.runs) {
    Levels run = b;
    for (const auto& w : words) {
      int sign = 1;  // product of the ±1 levels of the word's base factors
      for (char c : w) sign *= b[letter_index(c)] ? 1 : -1;
      run.push_back(sign > 0);
    }
    d.runs.push_back(run);
  }
  return d;
}

std::vector<int> contrast_column(const std::vector<Levels>& runs, const std::vector<int>& factors) {
  std::vector<int> col(runs.size(), 1);
  for (size_t r = 0; r < runs.size(); ++r)
    for (int f : factors) col[r] *= runs[r].at(static_cast<size_t>(f)) ? 1 : -1;
  return col;
}

int design_resolution(const std::vector<Levels>& runs) {
  const size_t k = check_runs(runs, "design_resolution");
  if (k > 20) throw std::invalid_argument("design_resolution: expected k <= 20, but got " + std::to_string(k));
  std::set<uint32_t> distinct;
  for (const auto& r : runs) distinct.insert(run_mask(r));
  const uint32_t first_low = ~*distinct.begin();
  size_t words = 1;  // the empty word I
  int shortest = kFullResolution;
  for (uint32_t s = 1; s < (1u << k); ++s) {
    // The word's ±1 product is (-1)^(number of its factors at the low level).
    const int parity = popcount(s & first_low) & 1;
    bool constant = true;
    for (uint32_t m : distinct)
      if ((popcount(s & ~m) & 1) != parity) {
        constant = false;
        break;
      }
    if (constant) ++words, shortest = std::min(shortest, popcount(s));
  }
  // Regular iff the distinct runs are the whole coset the words define: |runs| * |words| = 2^k.
  if (distinct.size() * words != (size_t{1} << k)) return 0;
  return shortest;
}

bool resolution_at_least_iv(const std::vector<Levels>& runs) {
  const int k = static_cast<int>(check_runs(runs, "resolution_at_least_iv"));
  std::vector<std::vector<int>> main(k);
  for (int i = 0; i < k; ++i) main[i] = contrast_column(runs, {i});
  const std::vector<int> ones(runs.size(), 1);
  for (int i = 0; i < k; ++i) {
    if (dot(main[i], ones) != 0) return false;
    for (int j = i + 1; j < k; ++j) {
      if (dot(main[i], main[j]) != 0) return false;
      const auto inter = contrast_column(runs, {i, j});
      for (int m = 0; m < k; ++m)
        if (m != i && m != j && dot(main[m], inter) != 0) return false;
    }
  }
  return true;
}

std::vector<size_t> randomized_order(size_t runs, uint64_t seed) {
  std::vector<size_t> order(runs);
  for (size_t i = 0; i < runs; ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = runs; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);
  return order;
}

FactorialAnalysis analyze_factorial(const std::vector<FactorialRun>& runs, const std::vector<std::string>& names,
                                    const FactorialOptions& options) {
  std::vector<Levels> levels;
  for (const auto& r : runs) levels.push_back(r.levels);
  const int k = static_cast<int>(check_runs(levels, "analyze_factorial"));
  if (static_cast<int>(names.size()) != k)
    throw std::invalid_argument("analyze_factorial: expected " + std::to_string(k) + " factor names, but got " +
                                std::to_string(names.size()));
  for (const auto& r : runs)
    if (r.samples.empty()) throw std::invalid_argument("analyze_factorial: expected samples in every run");

  // Effects in output order: main effects, then pairs (i, j), i < j.
  std::vector<Effect> effects;
  for (int i = 0; i < k; ++i) effects.push_back({names[i], {i}, 0.0, {}, {}});
  for (int i = 0; i < k; ++i)
    for (int j = i + 1; j < k; ++j) effects.push_back({names[i] + ":" + names[j], {i, j}, 0.0, {}, {}});
  std::vector<std::vector<int>> columns;
  for (const auto& e : effects) {
    columns.push_back(contrast_column(levels, e.factors));
    const long s = dot(columns.back(), std::vector<int>(runs.size(), 1));
    if (s == static_cast<long>(runs.size()) || -s == static_cast<long>(runs.size()))
      throw std::invalid_argument("analyze_factorial: effect " + e.name + " is constant over the runs (not estimable)");
  }
  const long n = static_cast<long>(runs.size());
  for (size_t a = 0; a < effects.size(); ++a)
    for (size_t b = 0; b < effects.size(); ++b)
      if (a != b && std::labs(dot(columns[a], columns[b])) == n) effects[a].aliases.push_back(effects[b].name);

  std::vector<double> y;
  for (const auto& r : runs) y.push_back(median(r.samples));
  std::vector<double> est;
  estimate_effects(y, columns, est);

  // Bootstrap: one stream, runs in order within each resample, so a seed fixes every interval.
  const int resamples = options.bootstrap.resamples;
  if (resamples < 1) throw std::invalid_argument("analyze_factorial: expected resamples >= 1");
  std::mt19937_64 rng(options.bootstrap.seed);
  std::vector<std::vector<double>> draws(effects.size(), std::vector<double>(static_cast<size_t>(resamples)));
  std::vector<double> yb(runs.size()), buf, eb;
  for (int b = 0; b < resamples; ++b) {
    for (size_t r = 0; r < runs.size(); ++r) {
      const auto& s = runs[r].samples;
      buf.resize(s.size());
      for (auto& v : buf) v = s[rng() % s.size()];
      yb[r] = median(buf);
    }
    estimate_effects(yb, columns, eb);
    for (size_t e = 0; e < effects.size(); ++e) draws[e][static_cast<size_t>(b)] = eb[e];
  }
  const double tail = (1.0 - options.bootstrap.confidence) / 2.0;
  FactorialAnalysis out;
  out.grand_mean = mean(y);
  for (size_t e = 0; e < effects.size(); ++e) {
    effects[e].estimate = est[e];
    effects[e].ci = {quantile(draws[e], tail), quantile(draws[e], 1.0 - tail)};
    (effects[e].factors.size() == 1 ? out.main_effects : out.interactions).push_back(effects[e]);
  }
  return out;
}

}  // namespace ablate::stats
