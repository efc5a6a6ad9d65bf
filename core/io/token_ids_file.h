// Token ids given as an .npy file instead of a tokenizer: the real tokens of one prompt (eos
// included, as the reference's tokenizer returns them before padding), padded here with id 0 to the
// encoder's text_len. For a cross-check in which both implementations must see the same ids and no
// umt5-xxl tokenizer file exists.
#pragma once
#include <cstdint>
#include <string>

#include "core/text/tokenizer.h"

namespace ablate::io {

/// Reads [L] or [1, L] int32/int64 ids with 1 <= L <= text_len and every id >= 0: ids and mask
/// [1, text_len] int64 (mask 1 on the L ids), length L. UsageError naming the file otherwise.
text::TokenizedPrompt read_token_ids(const std::string& path, int64_t text_len);

}  // namespace ablate::io
