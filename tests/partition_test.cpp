// partition.h: parsing K/N and the schedulers' variables (Slurm arrays, Kubernetes indexed jobs),
// and the balanced split of engine groups over jobs.
#include "experiments/runner/partition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "core/error.h"

namespace ablate {
namespace partition_test {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) {
    const auto it = vars.find(name);
    return it == vars.end() ? std::string() : it->second;
  };
}

void expect_usage_error(const std::string& text, const EnvLookup& env, const std::string& needle) {
  try {
    parse_partition(text, "--partition", env);
    FAIL() << text << ": expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(PartitionTest, ParsesKOfN) {
  const auto none = env_of({});
  const auto p = parse_partition("2/3", "--partition", none);
  EXPECT_EQ(p.index, 1);
  EXPECT_EQ(p.count, 3);
  EXPECT_EQ(p.label(), "2/3");
  EXPECT_EQ(parse_partition("1/1", "--partition", none).label(), "");
  expect_usage_error("0/2", none, "--partition: expected 1 <= K <= N, found 0/2");
  expect_usage_error("3/2", none, "expected 1 <= K <= N, found 3/2");
  expect_usage_error("2", none, "expected K/N (job K of N, 1 <= K <= N), auto or auto/N; found '2'");
  expect_usage_error("a/2", none, "--partition K/N: K: expected a whole number, found 'a'");
  expect_usage_error("auto", none, "neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX");
}

TEST(PartitionTest, AutoReadsSlurmArrays) {
  // --array=4-7: ids 4..7, MIN 4
  auto p = parse_partition("auto", "--partition",
                           env_of({{"SLURM_ARRAY_TASK_ID", "6"}, {"SLURM_ARRAY_TASK_MIN", "4"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}));
  EXPECT_EQ(p.label(), "3/4");
  // --array=0-6:2: ids 0, 2, 4, 6
  p = parse_partition("auto", "--partition",
                      env_of({{"SLURM_ARRAY_TASK_ID", "4"}, {"SLURM_ARRAY_TASK_STEP", "2"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}));
  EXPECT_EQ(p.label(), "3/4");
  // no MIN: ids from 0
  p = parse_partition("auto/2", "--partition", env_of({{"SLURM_ARRAY_TASK_ID", "1"}}));
  EXPECT_EQ(p.label(), "2/2");
  expect_usage_error("auto", env_of({{"SLURM_ARRAY_TASK_ID", "1"}}), "SLURM_ARRAY_TASK_COUNT is not; pass --partition auto/N");
  expect_usage_error("auto", env_of({{"SLURM_ARRAY_TASK_ID", "9"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}),
                     "SLURM_ARRAY_TASK_ID 9 is not one of the 4 tasks from SLURM_ARRAY_TASK_MIN 0 in steps of 1");
  expect_usage_error("auto/3", env_of({{"SLURM_ARRAY_TASK_ID", "0"}, {"SLURM_ARRAY_TASK_COUNT", "4"}}),
                     "--partition auto/3: SLURM_ARRAY_TASK_COUNT says 4 tasks");
}

TEST(PartitionTest, AutoReadsKubernetesIndexedJobs) {
  auto p = parse_partition("auto", "--partition", env_of({{"JOB_COMPLETION_INDEX", "0"}, {"ABLATE_PARTITION_COUNT", "3"}}));
  EXPECT_EQ(p.label(), "1/3");
  p = parse_partition("auto/5", "--partition", env_of({{"JOB_COMPLETION_INDEX", "4"}}));
  EXPECT_EQ(p.label(), "5/5");
  expect_usage_error("auto", env_of({{"JOB_COMPLETION_INDEX", "1"}}), "set ABLATE_PARTITION_COUNT or pass --partition auto/N");
  expect_usage_error("auto/2", env_of({{"JOB_COMPLETION_INDEX", "2"}}), "JOB_COMPLETION_INDEX 2 is not in [0, 2)");
  expect_usage_error("auto", env_of({{"JOB_COMPLETION_INDEX", "x"}, {"ABLATE_PARTITION_COUNT", "2"}}),
                     "JOB_COMPLETION_INDEX: expected a whole number, found 'x'");
}

// 2^4 factorial of a, b, c, d; engine groups keyed by (a, b): four groups of four.
std::vector<Combination> factorial4() {
  std::vector<Combination> out;
  for (int bits = 0; bits < 16; ++bits) {
    Combination c;
    const char* names[] = {"a", "b", "c", "d"};
    for (int k = 0; k < 4; ++k)
      if (bits & (1 << k)) c.values[names[k]] = "on";
    c.id = combination_id(c.values);
    out.push_back(c);
  }
  return out;
}

TEST(PartitionTest, SplitKeepsGroupsWholeAndBalancesValues) {
  const auto combos = factorial4();
  std::vector<std::vector<size_t>> groups(4);
  for (size_t i = 0; i < combos.size(); ++i) groups[i & 3].push_back(i);  // bits of a and b
  const auto parts = partition_groups(groups, combos, 2);
  ASSERT_EQ(parts.size(), 2u);
  // {a off b off, a on b on} and {a on b off, a off b on}: a and b 4/4 in each job
  EXPECT_EQ(parts[0], (std::vector<size_t>{0, 3}));
  EXPECT_EQ(parts[1], (std::vector<size_t>{1, 2}));
  for (const auto& part : parts) {
    std::map<std::string, int> on;
    for (size_t g : part)
      for (size_t i : groups[g])
        for (const auto& [name, _] : combos[i].values) ++on[name];
    for (const char* name : {"a", "b", "c", "d"}) EXPECT_EQ(on[name], 4) << name;
  }
  EXPECT_EQ(partition_groups(groups, combos, 2), parts);  // deterministic
  // more jobs than groups: every group once, the extra job empty
  const auto four = partition_groups(groups, combos, 5);
  size_t owned = 0;
  for (const auto& part : four) owned += part.size();
  EXPECT_EQ(owned, 4u);
  EXPECT_EQ(std::count_if(four.begin(), four.end(), [](const auto& p) { return p.empty(); }), 1);
}

TEST(PartitionTest, SplitBalancesLoadOfUnequalGroups) {
  const auto combos = factorial4();
  // sizes 8, 4, 2, 2 over two jobs: 8 | 4 + 2 + 2
  std::vector<std::vector<size_t>> groups{{0, 1, 2, 3, 4, 5, 6, 7}, {8, 9, 10, 11}, {12, 13}, {14, 15}};
  const auto parts = partition_groups(groups, combos, 2);
  EXPECT_EQ(parts[0], (std::vector<size_t>{0}));
  EXPECT_EQ(parts[1], (std::vector<size_t>{1, 2, 3}));
}

}  // namespace partition_test
}  // namespace ablate
