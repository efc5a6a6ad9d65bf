// libFuzzer target: an .npy file of any bytes through read_npy (magic, version, header length, the
// Python dict header, dtype, shape, data size), then what --poses, --intrinsics and --action do
// with the array: a tensor that reads has the header's shape and its bytes are all inside the file.
#include "core/io/camera_files.h"
#include "core/io/npy.h"
#include "fuzz/fuzz_input.h"

namespace ablate::fuzz::npy_fuzzer {

int test_one_input(const uint8_t* data, size_t size) {
  const std::string path = ablate::fuzz::write_scratch("npy", data, size);
  ablate::fuzz::usage_errors_only([&] {
    const torch::Tensor t = ablate::io::read_npy(path);
    ablate::fuzz::require(t.is_contiguous() && t.device().is_cpu(), "read_npy gives a contiguous CPU tensor");
    ablate::fuzz::require(static_cast<size_t>(t.nbytes()) <= size, "the data is inside the file");
    if (t.numel() > 0) (void)t.to(torch::kDouble).sum().item<double>();  // touches every element
    ablate::fuzz::usage_errors_only([&] { (void)ablate::io::action_rows(t); });
    ablate::fuzz::usage_errors_only([&] { (void)ablate::io::camera_trajectory(t, t); });
  });
  return 0;
}

}  // namespace ablate::fuzz::npy_fuzzer

ABLATE_FUZZ_TARGET(npy, ablate::fuzz::npy_fuzzer::test_one_input)
