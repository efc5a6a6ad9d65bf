#include "experiments/runner/adaptive.h"

#include <algorithm>
#include <stdexcept>

#include "core/error.h"
#include "experiments/common/json_fields.h"

namespace ablate {

std::optional<AdaptiveProtocol> parse_adaptive(const nlohmann::json& j, int64_t repetitions, const std::string& where) {
  if (j.is_null() || (j.is_boolean() && !j.get<bool>())) return std::nullopt;
  AdaptiveProtocol p;
  p.rule.max_repetitions = static_cast<int>(repetitions);
  p.rule.min_repetitions = std::min(p.rule.min_repetitions, p.rule.max_repetitions);
  if (j.is_object()) {
    const JsonFields f(j, where);
    f.allow_only({"min_repetitions", "look_step", "interim_alpha", "interim_equivalence_alpha", "alpha", "noise_floor_ms"});
    const int64_t min = f.integer_or("min_repetitions", p.rule.min_repetitions);
    f.check(min >= 1 && min <= repetitions, "min_repetitions", "1.." + std::to_string(repetitions) + " (the repetitions)", min);
    p.rule.min_repetitions = static_cast<int>(min);
    const int64_t step = f.integer_or("look_step", p.rule.look_step);
    f.check(step >= 1 && step <= 10000, "look_step", "1..10000", step);
    p.rule.look_step = static_cast<int>(step);
    p.thresholds.alpha = f.number_or("alpha", p.thresholds.alpha);
    f.check(p.thresholds.alpha > 0 && p.thresholds.alpha < 1, "alpha", "a level in (0, 1)", p.thresholds.alpha);
    p.rule.interim_alpha = f.number_or("interim_alpha", p.rule.interim_alpha);
    f.check(p.rule.interim_alpha >= 0 && p.rule.interim_alpha < p.thresholds.alpha, "interim_alpha",
            "a level in [0, alpha)", p.rule.interim_alpha);
    p.rule.interim_equivalence_alpha = f.number_or("interim_equivalence_alpha", p.rule.interim_equivalence_alpha);
    f.check(p.rule.interim_equivalence_alpha >= 0 && p.rule.interim_equivalence_alpha < 1, "interim_equivalence_alpha",
            "a level in [0, 1)", p.rule.interim_equivalence_alpha);
    p.thresholds.noise_floor_ms = f.number_or("noise_floor_ms", 0.0);
    f.check(p.thresholds.noise_floor_ms >= 0, "noise_floor_ms", ">= 0", p.thresholds.noise_floor_ms);
  } else {
    ABLATE_USAGE_CHECK(j.is_boolean(), where, ": expected true, false or an object {min_repetitions, look_step, "
                       "interim_alpha, interim_equivalence_alpha, alpha, noise_floor_ms}, found ", j.dump());
  }
  try {
    stats::look_schedule(p.rule);
  } catch (const std::invalid_argument& e) {
    throw UsageError(where + ": " + e.what());
  }
  return p;
}

}  // namespace ablate
