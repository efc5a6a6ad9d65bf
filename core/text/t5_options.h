// Shape of the UMT5-style text encoder (umt5-xxl at the 1.3b/14b presets).
#pragma once
#include <torch/torch.h>

namespace ablate::text {

struct T5EncoderOptions {
  /// Vocabulary size. Default: 256384 (umt5-xxl)
  TORCH_ARG(int64_t, vocab_size) = 256384;
  /// Model width. Default: 4096
  TORCH_ARG(int64_t, dim) = 4096;
  /// Attention width (heads * head_dim). Default: 4096
  TORCH_ARG(int64_t, dim_attn) = 4096;
  /// Gated-GELU FFN width. Default: 10240
  TORCH_ARG(int64_t, dim_ffn) = 10240;
  /// Attention heads. Default: 64
  TORCH_ARG(int64_t, num_heads) = 64;
  /// Encoder layers. Default: 24
  TORCH_ARG(int64_t, num_layers) = 24;
  /// Relative-position buckets (bidirectional: half per direction). Default: 32
  TORCH_ARG(int64_t, num_buckets) = 32;
  /// Distance at which buckets stop growing. Default: 128
  TORCH_ARG(int64_t, max_distance) = 128;
  /// Padded token length. Default: 512
  TORCH_ARG(int64_t, text_len) = 512;
  /// RMSNorm epsilon. Default: 1e-6
  TORCH_ARG(double, eps) = 1e-6;
  /// Device and dtype the large weights are created with (uninitialized). Default: CPU float32
  TORCH_ARG(torch::TensorOptions, tensor_options) = torch::TensorOptions();
};

}  // namespace ablate::text
