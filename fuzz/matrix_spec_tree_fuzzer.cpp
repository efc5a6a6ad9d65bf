// libFuzzer target: parse_matrix_spec on JSON values of any structure (the input decoded as CBOR,
// fuzz_input.h), so the mutator changes types and nesting directly rather than JSON text. A spec
// that parses must read back the same from its own to_json().
#include "experiments/runner/matrix_spec.h"
#include "fuzz/fuzz_input.h"

namespace ablate::fuzz::matrix_spec_tree_fuzzer {

int test_one_input(const uint8_t* data, size_t size) {
  const auto tree = ablate::fuzz::json_tree(data, size);
  if (!tree) return -1;  // not CBOR: keep it out of the corpus
  std::optional<ablate::MatrixSpec> spec;
  ablate::fuzz::usage_errors_only([&] { spec = ablate::parse_matrix_spec(*tree, "tree.json"); });
  if (spec) {
    const nlohmann::json j = spec->to_json();
    ablate::fuzz::require(ablate::parse_matrix_spec(j, "to_json").to_json() == j, "matrix spec to_json round trip");
  }
  return 0;
}

}  // namespace ablate::fuzz::matrix_spec_tree_fuzzer

ABLATE_FUZZ_TARGET(matrix_spec_tree, ablate::fuzz::matrix_spec_tree_fuzzer::test_one_input)
