// libFuzzer target: a baseline file of any bytes through read_baseline (schema, entries, MD5s,
// hash chains, video shape, tiers, per-request hashes), then what `ablate check` does with an
// entry before it reads the video: the gate reference and a hash-chain comparison.
#include "experiments/gate/baseline.h"
#include "fuzz/fuzz_input.h"

namespace ablate::fuzz::baseline_fuzzer {

int test_one_input(const uint8_t* data, size_t size) {
  const std::string path = ablate::fuzz::write_scratch("baseline", data, size);
  ablate::fuzz::usage_errors_only([&] {
    const ablate::BaselineFile file = ablate::read_baseline(path);
    for (const auto& e : file.entries) {
      ablate::fuzz::require(file.find(e.key) != nullptr, "BaselineFile::find finds every entry");
      const auto ref = e.reference(path, torch::Tensor());
      ablate::fuzz::require(!ref.md5s.empty() && ref.md5s.front() == e.md5, "request 0 is the entry's md5");
      (void)ablate::first_divergence(e.hash_chain, {}, e.steps_per_chunk);
    }
  });
  return 0;
}

}  // namespace ablate::fuzz::baseline_fuzzer

ABLATE_FUZZ_TARGET(baseline, ablate::fuzz::baseline_fuzzer::test_one_input)
