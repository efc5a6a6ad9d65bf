// libFuzzer target: a matrix spec file of any bytes through load_matrix_spec (JSON text, then every
// field check, strategy names and values included). A spec that parses must read back the same
// from its own to_json() (what a ledger and a baseline store).
#include "experiments/runner/matrix_spec.h"
#include "fuzz/fuzz_input.h"

namespace ablate::fuzz::matrix_spec_fuzzer {

int test_one_input(const uint8_t* data, size_t size) {
  const std::string path = ablate::fuzz::write_scratch("matrix_spec", data, size);
  std::optional<ablate::MatrixSpec> spec;
  ablate::fuzz::usage_errors_only([&] { spec = ablate::load_matrix_spec(path); });
  if (spec) {
    const nlohmann::json j = spec->to_json();
    ablate::fuzz::require(ablate::parse_matrix_spec(j, "to_json").to_json() == j, "matrix spec to_json round trip");
  }
  return 0;
}

}  // namespace ablate::fuzz::matrix_spec_fuzzer

ABLATE_FUZZ_TARGET(matrix_spec, ablate::fuzz::matrix_spec_fuzzer::test_one_input)
