// libFuzzer target: a safetensors file of any bytes through SafetensorsReader (header length, JSON
// header, dtypes, shapes, offsets, no holes or overlaps), then a view of every tensor: a header the
// reader accepts must describe bytes that are inside the file.
#include "core/io/safetensors.h"
#include "fuzz/fuzz_input.h"

namespace ablate::fuzz::safetensors_fuzzer {

int test_one_input(const uint8_t* data, size_t size) {
  const std::string path = ablate::fuzz::write_scratch("safetensors", data, size);
  ablate::fuzz::usage_errors_only([&] {
    const ablate::io::SafetensorsReader reader(path);
    for (const auto& t : reader.tensors()) {
      ablate::fuzz::require(reader.find(t.key) == &t, "SafetensorsReader::find finds every tensor");
      const torch::Tensor v = reader.view(t);
      ablate::fuzz::require(v.numel() == t.numel() && v.sizes().vec() == t.shape, "a view has the stored shape");
      if (v.numel() > 0) (void)v.sum().item<double>();  // touches every byte: ASan checks the range
    }
  });
  return 0;
}

}  // namespace ablate::fuzz::safetensors_fuzzer

ABLATE_FUZZ_TARGET(safetensors, ablate::fuzz::safetensors_fuzzer::test_one_input)
