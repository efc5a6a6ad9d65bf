// Tokenizer: whitespace cleaning, word/punctuation split, FNV-1a hashed ids, eos, pad/truncate.
#include "core/text/tokenizer.h"

#include <algorithm>

#include "core/error.h"

namespace ablate::text {
namespace {

// ASCII whitespace as C's isspace in the "C" locale; not locale-dependent on purpose.
bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Python's string.punctuation: !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~
bool is_punct(unsigned char c) {
  return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
}

unsigned char ascii_lower(unsigned char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

uint64_t fnv1a64_lower(const std::string& s) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : s) {
    h ^= ascii_lower(c);
    h *= 1099511628211ULL;  // FNV-1a 64 prime
  }
  return h;
}

}  // namespace

Tokenizer::Tokenizer(int64_t vocab_size, int64_t text_len) : vocab_size_(vocab_size), text_len_(text_len) {
  ABLATE_USAGE_CHECK(vocab_size > kFirstWordId, "tokenizer vocab_size must be > ", kFirstWordId,
                     " (ids 0-2 are reserved), got ", vocab_size);
  ABLATE_USAGE_CHECK(text_len >= 1, "tokenizer text_len must be >= 1, got ", text_len);
}

std::string Tokenizer::clean_whitespace(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (unsigned char c : text) {
    if (is_space(c)) {
      pending_space = !out.empty();  // leading whitespace is dropped
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(static_cast<char>(c));
  }
  return out;  // trailing whitespace never emitted
}

std::vector<std::string> Tokenizer::split(const std::string& cleaned) {
  std::vector<std::string> tokens;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) tokens.push_back(word);
    word.clear();
  };
  for (unsigned char c : cleaned) {
    if (is_space(c)) {
      flush();
    } else if (is_punct(c)) {
      flush();
      tokens.emplace_back(1, static_cast<char>(c));
    } else {
      word.push_back(static_cast<char>(c));
    }
  }
  flush();
  return tokens;
}

int64_t Tokenizer::token_id(const std::string& token) const {
  const uint64_t span = static_cast<uint64_t>(vocab_size_ - kFirstWordId);
  return kFirstWordId + static_cast<int64_t>(fnv1a64_lower(token) % span);
}

TokenizedPrompt Tokenizer::operator()(const std::string& prompt) const {
  const auto words = split(clean_whitespace(prompt));
  // Keep at most text_len - 1 words so eos always fits as the last real token.
  const int64_t kept = std::min<int64_t>(static_cast<int64_t>(words.size()), text_len_ - 1);
  auto ids = torch::full({1, text_len_}, kPadId, torch::kLong);
  auto mask = torch::zeros({1, text_len_}, torch::kLong);
  auto ids_a = ids.accessor<int64_t, 2>();
  auto mask_a = mask.accessor<int64_t, 2>();
  for (int64_t i = 0; i < kept; ++i) ids_a[0][i] = token_id(words[static_cast<size_t>(i)]);
  ids_a[0][kept] = kEosId;
  for (int64_t i = 0; i <= kept; ++i) mask_a[0][i] = 1;
  return TokenizedPrompt{ids, mask, kept + 1};
}

}  // namespace ablate::text
