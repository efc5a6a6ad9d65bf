// Built-in tokenizer: cleaning, splitting, hashed ids, eos, padding and truncation.
#include "core/text/tokenizer.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace ablate {
namespace tokenizer_test {

using text::Tokenizer;

std::vector<int64_t> ids_of(const text::TokenizedPrompt& t) {
  auto ids = t.ids.contiguous();
  return std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
}

TEST(TokenizerTest, IdsAreFnv1aOfLowerCasedWord) {
  const Tokenizer tok(4096, 16);
  // Literals: python3, FNV-1a 64 of the lower-cased UTF-8 bytes, 3 + h % 4093.
  EXPECT_EQ(tok.token_id("a"), 2659);     // h = 0xaf63dc4c8601ec8c
  EXPECT_EQ(tok.token_id("hello"), 450);  // h = 0xa430d84680aabd0b
  EXPECT_EQ(tok.token_id("HeLLo"), 450);
  EXPECT_EQ(tok.token_id("cat"), 1764);
  EXPECT_EQ(tok.token_id("."), 2356);
}

TEST(TokenizerTest, DeterministicAcrossInstances) {
  const std::string prompt = "A lakeside at dusk; the camera pans left, slowly.";
  const auto a = Tokenizer(4096, 32)(prompt);
  const auto b = Tokenizer(4096, 32)(prompt);
  EXPECT_TRUE(torch::equal(a.ids, b.ids));
  EXPECT_TRUE(torch::equal(a.mask, b.mask));
  EXPECT_EQ(a.length, b.length);
  for (int64_t id : ids_of(a)) {
    EXPECT_GE(id, 0);
    EXPECT_LT(id, 4096);
  }
}

TEST(TokenizerTest, SplitsPunctuationAsTokensAndKeepsUtf8InWords) {
  const std::vector<std::string> expected = {"Hello", ",",  "world", "!",   "caf\xc3\xa9",
                                             "-",     "au", "-",     "lait"};
  EXPECT_EQ(Tokenizer::split("Hello, world! caf\xc3\xa9-au-lait"), expected);
}

TEST(TokenizerTest, EosAppendedThenPaddedWithMask) {
  const Tokenizer tok(4096, 8);
  const auto t = tok("a cat.");  // a, cat, . + eos
  ASSERT_EQ(t.ids.sizes(), torch::IntArrayRef({1, 8}));
  ASSERT_EQ(t.mask.sizes(), torch::IntArrayRef({1, 8}));
  EXPECT_EQ(t.ids.scalar_type(), torch::kLong);
  EXPECT_EQ(t.mask.scalar_type(), torch::kLong);
  EXPECT_EQ(t.length, 4);
  EXPECT_EQ(ids_of(t), (std::vector<int64_t>{2659, 1764, 2356, text::kEosId, 0, 0, 0, 0}));
  EXPECT_TRUE(torch::equal(t.mask, torch::tensor({{1, 1, 1, 1, 0, 0, 0, 0}}, torch::kLong)));
}

TEST(TokenizerTest, TruncationKeepsEosLast) {
  const Tokenizer tok(4096, 4);
  const auto t = tok("a cat a cat a cat a cat");
  EXPECT_EQ(t.length, 4);
  EXPECT_EQ(ids_of(t), (std::vector<int64_t>{2659, 1764, 2659, text::kEosId}));
  EXPECT_EQ(t.mask.sum().item<int64_t>(), 4);
  const auto one = Tokenizer(4096, 1)("a cat");
  EXPECT_EQ(ids_of(one), (std::vector<int64_t>{text::kEosId}));
  EXPECT_EQ(one.length, 1);
}

TEST(TokenizerTest, WhitespaceCleaningIsEquivalent) {
  EXPECT_EQ(Tokenizer::clean_whitespace("\t a \n\n b  "), "a b");
  EXPECT_EQ(Tokenizer::clean_whitespace("   "), "");
  const Tokenizer tok(4096, 8);
  const auto a = tok("a  b");
  const auto b = tok(" a b ");
  const auto c = tok("a\t\r\nb");
  EXPECT_TRUE(torch::equal(a.ids, b.ids));
  EXPECT_TRUE(torch::equal(a.ids, c.ids));
  EXPECT_EQ(a.length, 3);
}

TEST(TokenizerTest, EmptyPromptIsEosOnly) {
  const auto t = Tokenizer(4096, 4)("  \n ");
  EXPECT_EQ(t.length, 1);
  EXPECT_EQ(ids_of(t), (std::vector<int64_t>{text::kEosId, 0, 0, 0}));
}

TEST(TokenizerTest, BadSizesNameTheValue) {
  try {
    Tokenizer(3, 8);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("got 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Tokenizer(4096, 0), UsageError);
}

}  // namespace tokenizer_test
}  // namespace ablate
