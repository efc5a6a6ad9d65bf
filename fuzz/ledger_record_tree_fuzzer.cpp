// libFuzzer target: LedgerRecord::from_json on JSON values of any structure (the input decoded as
// CBOR, fuzz_input.h); a record that reads is written back (to_json) and read again.
#include "experiments/runner/ledger_record.h"
#include "fuzz/fuzz_input.h"

namespace ablate::fuzz::ledger_record_tree_fuzzer {

int test_one_input(const uint8_t* data, size_t size) {
  const auto tree = ablate::fuzz::json_tree(data, size);
  if (!tree) return -1;  // not CBOR: keep it out of the corpus
  std::optional<ablate::LedgerRecord> record;
  ablate::fuzz::usage_errors_only([&] { record = ablate::LedgerRecord::from_json(*tree, "ledger.jsonl:1"); });
  if (record) {
    (void)record->median_ms();
    (void)record->to_json().dump();
  }
  return 0;
}

}  // namespace ablate::fuzz::ledger_record_tree_fuzzer

ABLATE_FUZZ_TARGET(ledger_record_tree, ablate::fuzz::ledger_record_tree_fuzzer::test_one_input)
