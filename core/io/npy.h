// NumPy .npy files (format versions 1.0, 2.0 and 3.0): read into CPU tensors and written from
// them. Little-endian float32/float64/int32/int64/uint8/bool in C order; anything else is refused
// with a UsageError that names the file, what was expected and what was found.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ablate::io {

/// Reads a whole .npy file: a contiguous CPU tensor of the file's dtype and shape.
torch::Tensor read_npy(const std::string& path);

/// What a caller expects of an .npy file. `shape` holds one entry per dimension, -1 for any size;
/// `shape_text` spells it for messages (e.g. "[N, 4, 4]").
struct NpyExpect {
  std::string what;                 // e.g. "camera poses (--poses)"
  std::vector<torch::Dtype> dtypes; // accepted dtypes, the first one named first
  std::vector<int64_t> shape;
  std::string shape_text;
};

/// read_npy, then checks dtype and shape against `expect` (UsageError naming the file, the
/// expected "[N, 4, 4] float32" and the shape and dtype found).
torch::Tensor read_npy(const std::string& path, const NpyExpect& expect);

/// Writes a CPU tensor (float32/float64/int32/int64/uint8/bool) as an .npy version 1.0 file.
void write_npy(const std::string& path, const torch::Tensor& tensor);

/// "float32", "int64", ... as NumPy names them (for messages).
std::string numpy_dtype_name(torch::Dtype dtype);

}  // namespace ablate::io
