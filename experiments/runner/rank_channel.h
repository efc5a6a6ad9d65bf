// Rank 0's word to the other ranks between runs: a text (a matrix spec to run next, or "" for
// "done") broadcast over a short-lived Communicator. Commands whose decisions live on rank 0 (the
// greedy search: which stack next, when the budget is spent) drive the other ranks with it, and
// every rank then calls run_matrix() on the same spec.
#pragma once
#include <string>

#include "core/dist/world.h"
#include "experiments/runner/matrix_spec.h"

namespace ablate {

// Collective over every rank of `world`: returns rank 0's `text` on every rank (others pass ""),
// on the workload's device, within its collective timeout.
// Its store listens on master_port + 1, so that it and run_matrix()'s Communicator (master_port)
// alternate ports: a rank that is done with one can never reach the other's still-open store.
std::string broadcast_text(const dist::WorldInfo& world, const Workload& workload, const std::string& text);

}  // namespace ablate
