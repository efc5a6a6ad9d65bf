// libFuzzer target: a ledger file of any bytes through read_ledger (JSON lines, a torn last line,
// every record field), then what --resume and the reports use first: the finished combinations,
// medians and each record written back (to_json).
#include "experiments/runner/ledger.h"
#include "fuzz/fuzz_input.h"

namespace ablate::fuzz::ledger_fuzzer {

int test_one_input(const uint8_t* data, size_t size) {
  const std::string path = ablate::fuzz::write_scratch("ledger", data, size);
  ablate::fuzz::usage_errors_only([&] {
    const auto records = ablate::read_ledger(path);
    (void)ablate::finished_combinations(records);
    for (const auto& r : records) {
      (void)r.median_ms();
      (void)r.to_json().dump();
    }
  });
  return 0;
}

}  // namespace ablate::fuzz::ledger_fuzzer

ABLATE_FUZZ_TARGET(ledger, ablate::fuzz::ledger_fuzzer::test_one_input)
