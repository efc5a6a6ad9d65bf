// Typed, checked reads of ledger records (schema ablate.ledger/1) for the report writers: absent
// or null fields are "not applicable", a field of the wrong type throws.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ablate {

/// The number at `key`, nullopt when absent or null; throws std::invalid_argument naming the
/// record's combination and the key when it is something else.
std::optional<double> ledger_number(const nlohmann::json& record, const char* key);

/// The string at `key`, "" when absent or null; throws like ledger_number for other types.
std::string ledger_string(const nlohmann::json& record, const char* key);

/// The record's timing summary in ms: from "stats" where present, else from "samples_ms".
struct LedgerTimes {
  std::optional<double> median, min, max, cv;
  size_t samples = 0;
};
LedgerTimes ledger_times(const nlohmann::json& record);

/// (name, value) pairs of a {name: number} object at `key` ("phases_ms"), or of
/// {name: {field: number}} when `field` is given ("collectives", "ms"); empty when absent or null.
std::vector<std::pair<std::string, double>> ledger_breakdown(const nlohmann::json& record, const char* key,
                                                             const char* field = nullptr);

/// The largest of "peak_memory_bytes" (per rank, or one number) and how many ranks reported.
std::optional<std::pair<double, size_t>> ledger_peak_memory(const nlohmann::json& record);

}  // namespace ablate
