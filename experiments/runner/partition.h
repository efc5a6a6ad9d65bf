// Splitting one matrix run into N independent jobs (`ablate run --partition K/N`), e.g. the tasks of
// a Slurm job array or a Kubernetes indexed job, each on its own machine with its own ledger, joined
// later by `ablate merge`. The split is deterministic (every job computes the same one) and balanced:
// engine groups stay whole (a group shares one engine and interleaves its rounds), the groups' runs
// spread evenly over the jobs, and so does every strategy value, so a machine's speed is not
// confounded with one value's effect. Every job also measures the baseline combination: the gate
// compares with it and verdicts compare within a job; the jobs that do not own the baseline's group
// record it as a reference (LedgerRecord::partition_reference) that merge drops.
// `run --devices` uses the same split with the groups dealt at random (seeded) instead.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "experiments/runner/combinations.h"

namespace ablate {

struct Partition {
  int index = 0;           // 0-based
  int count = 1;           // 1: the whole matrix
  bool by_device = false;  // `run --devices`: groups dealt to the device processes at random (seeded)
  bool active() const { return count > 1; }
  std::string label() const;  // "K/N" with K 1-based; "" when not active
};

// Reads an environment variable ("" when unset); tests pass their own.
using EnvLookup = std::function<std::string(const std::string&)>;
std::string process_env(const std::string& name);

// "K/N" (1 <= K <= N), "auto" or "auto/N". auto reads, in order: SLURM_ARRAY_TASK_ID with
// SLURM_ARRAY_TASK_COUNT (index (ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP, MIN 0 and
// STEP 1 when unset), then JOB_COMPLETION_INDEX (0-based) with the count from auto/N or
// ABLATE_PARTITION_COUNT. UsageError naming `flag`, the variable and the value for anything else.
Partition parse_partition(const std::string& text, const std::string& flag, const EnvLookup& env = process_env);

// groups: engine groups as indices into combos. Returns, per job, the indices of the groups it runs
// (in `groups`' order): greedy over the groups by size (largest first, ties in `groups`' order), each
// to the job where the squared loads and squared per-value counts grow least. count >= 1.
std::vector<std::vector<size_t>> partition_groups(const std::vector<std::vector<size_t>>& groups,
                                                  const std::vector<Combination>& combos, int count);

// `run --devices`: the groups in a seeded random order, each to the device process with the fewest
// combinations so far (ties: the lowest index). Returns, per device, the indices of its groups in
// `groups`' order.
std::vector<std::vector<size_t>> deal_groups_at_random(const std::vector<std::vector<size_t>>& groups, int count,
                                                       uint64_t seed);

}  // namespace ablate
