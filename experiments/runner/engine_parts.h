// Splitting one engine group into parts (each part builds its own engine, later in time), so a
// time budget can fall between them. The parts are balanced: every strategy value appears as
// evenly as the sizes allow in every part, so drift between parts is not confounded with a
// strategy's effect (in a factorial, a part that held only sync_elim=off runs would turn drift
// into a sync_elim effect).
#pragma once
#include <cstdint>
#include <vector>

#include "experiments/runner/combinations.h"

namespace ablate {

// `group`: indices into `combos`. Returns ceil(n / max_size) parts of near-equal size (sizes differ
// by at most one), each in `group`'s order; deterministic for a seed. max_size must be >= 1.
std::vector<std::vector<size_t>> balanced_parts(const std::vector<size_t>& group, const std::vector<Combination>& combos,
                                                size_t max_size, uint64_t seed);

// The imbalance the split minimizes: over parts and strategy values, the squared difference
// between a value's count in the part and its share of the group times the part's size.
double parts_imbalance(const std::vector<std::vector<size_t>>& parts, const std::vector<Combination>& combos);

}  // namespace ablate
