#include "experiments/runner/ledger_merge.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "experiments/runner/ledger.h"

namespace ablate {

MergedLedger merge_ledgers(const std::vector<std::string>& paths, bool allow_mixed) {
  ABLATE_USAGE_CHECK(!paths.empty(), "merge: expected at least one ledger");
  MergedLedger out;
  std::map<std::string, std::string> first_path;  // fingerprint key -> the first ledger holding it
  std::map<std::pair<std::string, std::string>, size_t> slot;  // (key, combination) -> index in all
  std::vector<LedgerRecord> all;
  for (const auto& path : paths) {
    for (auto& r : read_nonempty_ledger(path, "merge")) {
      if (!first_path.count(r.fingerprint_key)) {
        ABLATE_USAGE_CHECK(allow_mixed || first_path.empty(), "merge: ", path, " has fingerprint [", r.fingerprint_key,
                           "] but ", first_path[out.fingerprint_keys.front()], " has [", out.fingerprint_keys.front(),
                           "]: their times are not comparable; pass --allow-mixed to keep them apart "
                           "(verdicts within one fingerprint)");
        first_path[r.fingerprint_key] = path;
        out.fingerprint_keys.push_back(r.fingerprint_key);
      }
      if (r.partition_reference) {
        ++out.references_dropped;
        continue;
      }
      const auto key = std::make_pair(r.fingerprint_key, r.combination);
      const auto it = slot.find(key);
      if (it == slot.end()) {
        slot[key] = all.size();
        all.push_back(std::move(r));
        continue;
      }
      ++out.duplicates_dropped;
      // a later record replaces an error (a resumed job retried it); otherwise the first stays
      if (all[it->second].status == RecordStatus::kError && r.status != RecordStatus::kError) all[it->second] = std::move(r);
    }
  }
  for (const auto& key : out.fingerprint_keys)
    for (auto& r : records_of_fingerprint(all, key)) out.records.push_back(std::move(r));
  return out;
}

std::vector<LedgerRecord> records_of_fingerprint(const std::vector<LedgerRecord>& records, const std::string& key) {
  std::vector<LedgerRecord> out;
  std::copy_if(records.begin(), records.end(), std::back_inserter(out),
               [&](const LedgerRecord& r) { return r.fingerprint_key == key; });
  return out;
}

}  // namespace ablate
