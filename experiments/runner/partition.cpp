#include "experiments/runner/partition.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <numeric>
#include <random>

#include "core/error.h"

namespace ablate {

std::string Partition::label() const {
  return active() ? std::to_string(index + 1) + "/" + std::to_string(count) : std::string();
}

std::string process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v ? std::string(v) : std::string();
}

namespace partition_parse {

// A whole number from `text`; UsageError naming `what` otherwise.
int64_t whole_number(const std::string& text, const std::string& what) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  ABLATE_USAGE_CHECK(!text.empty() && used == text.size(), what, ": expected a whole number, found '", text, "'");
  return v;
}

Partition from_environment(const std::string& flag, int64_t given_count, const EnvLookup& env) {
  Partition p;
  const std::string slurm_id = env("SLURM_ARRAY_TASK_ID");
  if (!slurm_id.empty()) {
    const int64_t id = whole_number(slurm_id, flag + " auto: SLURM_ARRAY_TASK_ID");
    const std::string min_text = env("SLURM_ARRAY_TASK_MIN"), step_text = env("SLURM_ARRAY_TASK_STEP");
    const int64_t min = min_text.empty() ? 0 : whole_number(min_text, flag + " auto: SLURM_ARRAY_TASK_MIN");
    const int64_t step = step_text.empty() ? 1 : whole_number(step_text, flag + " auto: SLURM_ARRAY_TASK_STEP");
    const std::string count_text = env("SLURM_ARRAY_TASK_COUNT");
    ABLATE_USAGE_CHECK(!count_text.empty() || given_count > 0, flag, " auto: SLURM_ARRAY_TASK_ID is set (", id,
                       ") but SLURM_ARRAY_TASK_COUNT is not; pass --partition auto/N");
    const int64_t count = count_text.empty() ? given_count : whole_number(count_text, flag + " auto: SLURM_ARRAY_TASK_COUNT");
    ABLATE_USAGE_CHECK(given_count <= 0 || given_count == count, flag, " auto/", given_count,
                       ": SLURM_ARRAY_TASK_COUNT says ", count, " tasks");
    ABLATE_USAGE_CHECK(step >= 1, flag, " auto: SLURM_ARRAY_TASK_STEP: expected >= 1, found ", step);
    ABLATE_USAGE_CHECK(id >= min && (id - min) % step == 0 && (id - min) / step < count, flag,
                       " auto: SLURM_ARRAY_TASK_ID ", id, " is not one of the ", count, " tasks from SLURM_ARRAY_TASK_MIN ",
                       min, " in steps of ", step);
    p.index = static_cast<int>((id - min) / step);
    p.count = static_cast<int>(count);
    return p;
  }
  const std::string k8s_index = env("JOB_COMPLETION_INDEX");
  ABLATE_USAGE_CHECK(!k8s_index.empty(), flag, " auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor "
                     "JOB_COMPLETION_INDEX (a Kubernetes indexed job) is set; pass --partition K/N");
  const int64_t index = whole_number(k8s_index, flag + " auto: JOB_COMPLETION_INDEX");
  int64_t count = given_count;
  if (count <= 0) {
    const std::string count_text = env("ABLATE_PARTITION_COUNT");
    ABLATE_USAGE_CHECK(!count_text.empty(), flag, " auto: JOB_COMPLETION_INDEX is set (", index,
                       ") but not the job's completions count: set ABLATE_PARTITION_COUNT or pass --partition auto/N");
    count = whole_number(count_text, flag + " auto: ABLATE_PARTITION_COUNT");
  }
  ABLATE_USAGE_CHECK(count >= 1 && index >= 0 && index < count, flag, " auto: JOB_COMPLETION_INDEX ", index,
                     " is not in [0, ", count, ")");
  p.index = static_cast<int>(index);
  p.count = static_cast<int>(count);
  return p;
}

}  // namespace partition_parse

Partition parse_partition(const std::string& text, const std::string& flag, const EnvLookup& env) {
  using partition_parse::whole_number;
  const auto slash = text.find('/');
  const std::string head = text.substr(0, slash);
  const std::string tail = slash == std::string::npos ? "" : text.substr(slash + 1);
  if (head == "auto") {
    const int64_t n = tail.empty() ? 0 : whole_number(tail, flag + " auto/N: N");
    ABLATE_USAGE_CHECK(tail.empty() || n >= 1, flag, " auto/N: expected N >= 1, found ", n);
    return partition_parse::from_environment(flag, n, env);
  }
  ABLATE_USAGE_CHECK(slash != std::string::npos, flag, ": expected K/N (job K of N, 1 <= K <= N), auto or auto/N; found '",
                     text, "'");
  const int64_t k = whole_number(head, flag + " K/N: K");
  const int64_t n = whole_number(tail, flag + " K/N: N");
  ABLATE_USAGE_CHECK(n >= 1 && k >= 1 && k <= n, flag, ": expected 1 <= K <= N, found ", k, "/", n);
  Partition p;
  p.index = static_cast<int>(k - 1);
  p.count = static_cast<int>(n);
  return p;
}

std::vector<std::vector<size_t>> partition_groups(const std::vector<std::vector<size_t>>& groups,
                                                  const std::vector<Combination>& combos, int count) {
  const size_t n = static_cast<size_t>(std::max(count, 1));
  std::vector<size_t> order(groups.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return groups[a].size() > groups[b].size(); });
  std::vector<int64_t> load(n, 0);
  std::vector<std::map<std::string, int64_t>> value_count(n);
  std::vector<std::vector<size_t>> owned(n);
  // a strategy's absent value is its baseline value: count it too, so "off" spreads as "on" does
  std::map<std::string, int> names;
  for (const auto& c : combos)
    for (const auto& [name, _] : c.values) names.emplace(name, 0);
  for (size_t g : order) {
    std::map<std::string, int64_t> adds;
    for (size_t i : groups[g])
      for (const auto& [name, _] : names) {
        const auto it = combos[i].values.find(name);
        ++adds[name + "=" + (it == combos[i].values.end() ? std::string("<baseline>") : it->second)];
      }
    const auto size = static_cast<int64_t>(groups[g].size());
    size_t best = 0;
    int64_t best_cost = 0;
    for (size_t p = 0; p < n; ++p) {
      // the growth of sum(load^2) (weighted as one more value) and of sum(count^2)
      int64_t cost = static_cast<int64_t>(names.size() + 1) * ((load[p] + size) * (load[p] + size) - load[p] * load[p]);
      for (const auto& [v, a] : adds) {
        const auto it = value_count[p].find(v);
        const int64_t c = it == value_count[p].end() ? 0 : it->second;
        cost += (c + a) * (c + a) - c * c;
      }
      if (p == 0 || cost < best_cost) {
        best = p;
        best_cost = cost;
      }
    }
    load[best] += size;
    for (const auto& [v, a] : adds) value_count[best][v] += a;
    owned[best].push_back(g);
  }
  for (auto& o : owned) std::sort(o.begin(), o.end());
  return owned;
}

std::vector<std::vector<size_t>> deal_groups_at_random(const std::vector<std::vector<size_t>>& groups, int count,
                                                       uint64_t seed) {
  const size_t n = static_cast<size_t>(std::max(count, 1));
  std::vector<size_t> order(groups.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng() % i]);  // portable Fisher-Yates
  std::vector<size_t> load(n, 0);
  std::vector<std::vector<size_t>> owned(n);
  for (size_t g : order) {
    const size_t d = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[d] += groups[g].size();
    owned[d].push_back(g);
  }
  for (auto& o : owned) std::sort(o.begin(), o.end());
  return owned;
}

}  // namespace ablate
