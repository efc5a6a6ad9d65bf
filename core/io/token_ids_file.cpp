#include "core/io/token_ids_file.h"

#include "core/error.h"
#include "core/io/npy.h"

namespace ablate::io {

text::TokenizedPrompt read_token_ids(const std::string& path, int64_t text_len) {
  auto raw = read_npy(path);
  const bool dtype_ok = raw.scalar_type() == torch::kInt || raw.scalar_type() == torch::kLong;
  const bool shape_ok = raw.dim() == 1 || (raw.dim() == 2 && raw.size(0) == 1);
  ABLATE_USAGE_CHECK(dtype_ok && shape_ok, path, ": expected token ids as [L] or [1, L] int32 or int64, found ",
                     raw.sizes(), " ", numpy_dtype_name(raw.scalar_type()));
  const auto ids = raw.reshape({-1}).to(torch::kLong);  // [L]
  const int64_t n = ids.size(0);
  ABLATE_USAGE_CHECK(n >= 1 && n <= text_len, path, ": expected 1 to ", text_len, " token ids (the text encoder's ",
                     "text_len), found ", n);
  const int64_t lowest = ids.min().item<int64_t>();
  ABLATE_USAGE_CHECK(lowest >= 0, path, ": expected token ids >= 0, found ", lowest);
  text::TokenizedPrompt out;
  out.ids = torch::full({1, text_len}, text::kPadId, torch::kLong);
  out.ids.slice(1, 0, n).copy_(ids.unsqueeze(0));
  out.mask = torch::zeros({1, text_len}, torch::kLong);
  out.mask.slice(1, 0, n).fill_(1);
  out.length = n;
  return out;
}

}  // namespace ablate::io
