// The combinations a matrix expands to, each checked by its strategies (skip reason, tier) and
// keyed by what forces a new engine build.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "experiments/runner/matrix_spec.h"
#include "optimizations/strategy.h"

namespace ablate {

struct Combination {
  std::string id;                             // "baseline" or "a=v+b=w" in registry order
  std::map<std::string, std::string> values;  // non-baseline values only
  std::string stage;                          // stack modes: the row label ("+sync_elim=on"), else id
  std::string skip_reason;                    // why it cannot run here ("" = runs)
  opt::Tier tier = opt::Tier::kA;             // B when any strategy that is on is tier B
  std::string build_key;                      // equal keys share one engine
  bool per_request_engine = false;            // a strategy asks for a rebuilt engine per request
};

// Canonical id of a set of values (baseline values dropped).
std::string combination_id(const std::map<std::string, std::string>& values);

// Expands the spec for a run on `where` (device, world size): deduplicated, in spec order.
std::vector<Combination> expand_combinations(const MatrixSpec& spec, const opt::RunConfig& where);

// Checks one set of values on `where` and fills skip_reason, tier and build_key.
Combination make_combination(std::map<std::string, std::string> values, const opt::RunConfig& where,
                             const std::string& stage = "");

// Requests in one generate() for `values` on workload `w`: the batch a strategy asks for
// (Strategy::requests_per_generate, e.g. batched_requests), else the workload's.
int64_t requests_per_generate(const Workload& w, const std::map<std::string, std::string>& values);
// `w` with that batch.
Workload with_requests_per_generate(Workload w, const std::map<std::string, std::string>& values);

// A covering array of strength 2 over `factors` (name -> values): every pair of values of every
// two factors appears in at least one row (greedy, deterministic). Rows are full assignments.
std::vector<std::map<std::string, std::string>> pairwise_covering_array(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& factors);

}  // namespace ablate
