// libFuzzer target: a checkpoint index file (<base>.safetensors.index.json) of any bytes through
// read_safetensors_index; every shard it names must be a plain file name in the index's folder.
#include "core/io/safetensors_index.h"
#include "fuzz/fuzz_input.h"

namespace ablate::fuzz::safetensors_index_fuzzer {

int test_one_input(const uint8_t* data, size_t size) {
  const std::string path = ablate::fuzz::write_scratch("safetensors_index", data, size);
  ablate::fuzz::usage_errors_only([&] {
    const auto index = ablate::io::read_safetensors_index(path);
    for (const auto& shard : index.shard_files())
      ablate::fuzz::require(!shard.empty() && shard != "." && shard != ".." && shard.find('/') == std::string::npos,
                            "shards are file names in the index's folder");
  });
  return 0;
}

}  // namespace ablate::fuzz::safetensors_index_fuzzer

ABLATE_FUZZ_TARGET(safetensors_index, ablate::fuzz::safetensors_index_fuzzer::test_one_input)
