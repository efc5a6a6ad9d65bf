// Splitting an engine group into balanced parts: the 2^(6-2) factorial of factorial6-1.3b in
// parts of 4 has every strategy on in exactly half of every part; sizes differ by at most one;
// the split is a partition, deterministic for a seed.
#include "experiments/runner/engine_parts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "experiments/runner/matrix_spec.h"

namespace ablate {
namespace engine_parts_test {

std::vector<Combination> factorial6_on_cpu() {
  MatrixSpec spec = load_matrix_spec(std::string(ABLATE_SOURCE_DIR) + "/experiments/matrices/factorial6-1.3b.json");
  return expand_combinations(spec, opt::RunConfig{{}, torch::Device(torch::kCPU), 1});
}

std::vector<size_t> all(const std::vector<Combination>& combos) {
  std::vector<size_t> g(combos.size());
  for (size_t i = 0; i < g.size(); ++i) g[i] = i;
  return g;
}

TEST(EnginePartsTest, FactorialPartsAreBalancedInEveryStrategy) {
  const auto combos = factorial6_on_cpu();
  ASSERT_EQ(combos.size(), 16u);
  const auto parts = balanced_parts(all(combos), combos, 4, 13);
  ASSERT_EQ(parts.size(), 4u);
  std::set<size_t> seen;
  for (const auto& part : parts) {
    ASSERT_EQ(part.size(), 4u);
    EXPECT_TRUE(std::is_sorted(part.begin(), part.end()));  // each part keeps the spec's order
    for (const char* name : {"sync_elim", "vae_stream", "kv_index_copy", "text_embed_once", "sampler_host_tables",
                             "text_cache"}) {
      int on = 0;
      for (size_t i : part) on += combos[i].values.count(name);
      EXPECT_EQ(on, 2) << name;
    }
    seen.insert(part.begin(), part.end());
  }
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_EQ(parts_imbalance(parts, combos), 0.0);
  // the plain chunking in spec order is not balanced (the reason for the split)
  std::vector<std::vector<size_t>> chunks{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9, 10, 11}, {12, 13, 14, 15}};
  EXPECT_GT(parts_imbalance(chunks, combos), 0.0);
  EXPECT_EQ(balanced_parts(all(combos), combos, 4, 13), parts);
}

TEST(EnginePartsTest, SizesDifferByAtMostOne) {
  auto combos = factorial6_on_cpu();
  combos.resize(10);
  const auto parts = balanced_parts(all(combos), combos, 4, 1);
  ASSERT_EQ(parts.size(), 3u);
  std::vector<size_t> sizes;
  for (const auto& p : parts) sizes.push_back(p.size());
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{3, 3, 4}));
  EXPECT_EQ(balanced_parts(all(combos), combos, 10, 1).size(), 1u);  // fits: one part, unchanged
  EXPECT_THROW(balanced_parts(all(combos), combos, 0, 1), c10::Error);
}

}  // namespace engine_parts_test
}  // namespace ablate
