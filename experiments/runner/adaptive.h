// Adaptive repetitions for `ablate run` (--adaptive, or the matrix field "adaptive"): each
// combination stops being measured once its verdict against the baseline is decided by the
// group-sequential rule of stats/sequential.h (its error budget: FASTER / SLOWER at the fixed
// protocol's alpha over all looks, early SAME at interim_equivalence_alpha), at the latest at the
// matrix's repetitions. The baseline always runs to the maximum (it is every verdict's reference).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "experiments/stats/sequential.h"

namespace ablate {

struct AdaptiveProtocol {
  stats::SequentialRule rule;    // max_repetitions = the matrix's repetitions
  stats::Thresholds thresholds;  // compare()'s, with the noise floor when given
  std::string summary() const { return stats::sequential_rule_summary(rule, thresholds); }
};

// `j`: true (the defaults: looks at 5, 10, ...), false / null (none), or an object with any of
// min_repetitions, look_step, interim_alpha, interim_equivalence_alpha, alpha, noise_floor_ms.
// UsageError naming `where` and the field for anything else, or a rule that cannot run with
// `repetitions` (the maximum).
std::optional<AdaptiveProtocol> parse_adaptive(const nlohmann::json& j, int64_t repetitions, const std::string& where);

}  // namespace ablate
