// Two ledgers (two commits, two machines) compared combination by combination: medians, the
// Mann-Whitney verdict with relative + absolute thresholds and the noise floor, and validity.
#pragma once
#include <nlohmann/json.hpp>

#include "experiments/runner/ledger_record.h"

#include <string>
#include <vector>

#include "experiments/stats/verdict.h"

namespace ablate {

// {"rows": [{combination, a_median, b_median, diff_ms, rel, ratio, p_value, ci_low, ci_high,
//   verdict, reason, a_validity, b_validity, md5_same}], "only_in_a": [...], "only_in_b": [...]}
nlohmann::json compare_ledgers(const std::vector<LedgerRecord>& a, const std::vector<LedgerRecord>& b,
                               const stats::Thresholds& thresholds);
std::string compare_markdown(const nlohmann::json& comparison, const std::string& a_name, const std::string& b_name);

// The noise floor of an A/A ledger (mode aa): stats::noise_floor of its two copies' samples.
double aa_noise_floor(const std::vector<LedgerRecord>& records, uint64_t seed = 0);

}  // namespace ablate
