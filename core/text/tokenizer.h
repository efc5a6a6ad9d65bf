// Tokenizer: a built-in, deterministic stand-in for the reference's HF umt5-xxl tokenizer
// (wan/modules/tokenizers.py with clean='whitespace', padding='max_length', truncation=True,
// add_special_tokens=True). No vocabulary file and no download: ids come from a hash.
//
// Rules, in order:
//   1. Clean: every run of ASCII whitespace (space, \t, \n, \v, \f, \r) becomes one space, then
//      leading/trailing spaces are trimmed (the reference's whitespace_clean; its ftfy/html
//      unescape step is not reproduced).
//   2. Split: words are maximal runs of bytes that are neither space nor ASCII punctuation
//      (Python's string.punctuation); each punctuation byte is a token of its own. Bytes >= 0x80
//      (UTF-8 multi-byte characters) belong to words.
//   3. Id: 3 + FNV-1a-64(lower-cased bytes of the token) mod (vocab_size - 3). Lower-casing is
//      ASCII only. Ids 0 = pad, 1 = eos, 2 = unk are reserved and never produced by a word.
//   4. Append eos (id 1). When the result is longer than text_len, keep the first text_len - 1
//      tokens and eos (the HF tokenizer keeps eos last when truncating).
//   5. Pad with 0 to text_len; mask is 1 on the real tokens (eos included), 0 on padding.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ablate::text {

constexpr int64_t kPadId = 0;
constexpr int64_t kEosId = 1;
constexpr int64_t kUnkId = 2;
constexpr int64_t kFirstWordId = 3;

/// One prompt, tokenized to a fixed length (CPU tensors).
struct TokenizedPrompt {
  torch::Tensor ids;   // [1, text_len] int64, padded with kPadId
  torch::Tensor mask;  // [1, text_len] int64, 1 for real tokens (eos included), 0 for padding
  int64_t length = 0;  // number of real tokens, eos included (1 <= length <= text_len)
};

/// Any tokenizer the TextEncoder can use instead of the built-in one (e.g. a vocabulary file,
/// core/io/sentencepiece_tokenizer.h): prompt -> ids and mask of the encoder's text_len.
using TokenizeFn = std::function<TokenizedPrompt(const std::string& prompt)>;

class Tokenizer {
 public:
  /// vocab_size > kFirstWordId and text_len >= 1, else UsageError.
  Tokenizer(int64_t vocab_size, int64_t text_len);

  /// Tokenizes one prompt (rules 1-5 above).
  TokenizedPrompt operator()(const std::string& prompt) const;

  /// Rule 1: collapse whitespace runs to one space and trim.
  static std::string clean_whitespace(const std::string& text);
  /// Rule 2 on already-cleaned text: the word and punctuation tokens, in order.
  static std::vector<std::string> split(const std::string& cleaned);
  /// Rule 3: the id of one token.
  int64_t token_id(const std::string& token) const;

  int64_t vocab_size() const { return vocab_size_; }
  int64_t text_len() const { return text_len_; }

 private:
  int64_t vocab_size_;
  int64_t text_len_;
};

}  // namespace ablate::text
