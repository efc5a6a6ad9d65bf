// SentencePiece tokenizer file: a tiny T5-style model trained here with libsentencepiece's trainer
// (the real spiece.model cannot be downloaded); pinned ids (a user-defined piece, unk), ids against
// the library's own encoding, eos, padding, truncation, cleaning, bad files, and the TextEncoder
// using it. Skipped when the build has no libsentencepiece.
#include "core/io/sentencepiece_tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/io/prompt_clean.h"
#include "core/text/text_encoder.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace sentencepiece_tokenizer_test {

std::vector<int64_t> ids_of(const text::TokenizedPrompt& t) {
  auto ids = t.ids.contiguous();
  return std::vector<int64_t>(ids.data_ptr<int64_t>(), ids.data_ptr<int64_t>() + ids.numel());
}

// A small corpus of camera-and-scene sentences (768 lines), enough for a ~200-piece unigram model.
std::string corpus_text() {
  const std::vector<std::string> subjects = {"a red boat",      "the old lighthouse", "a quiet street",  "snowy mountains",
                                             "a busy market",   "the forest path",    "a wooden bridge", "the desert road",
                                             "a glass tower",   "the harbour wall",   "a stone temple",  "the river bank"};
  const std::vector<std::string> actions = {"the camera pans left",        "the camera moves forward slowly",
                                            "we turn right at dusk",       "the view rises above the trees",
                                            "the camera tilts down gently", "we walk backwards through fog",
                                            "the shot zooms into shadows",  "we circle around quickly"};
  const std::vector<std::string> tails = {"under a cloudy sky.",     "while birds fly past.",  "with warm lights.",
                                          "as rain begins to fall.", "beneath bright stars.", "during heavy snowfall.",
                                          "before sunrise.",         "after the storm passes."};
  std::string text;
  for (const auto& s : subjects)
    for (const auto& a : actions)
      for (const auto& t : tails) text += s + ", " + a + " " + t + "\n";
  return text;
}

// ids as the tokenizer must give them: at most text_len - 1 pieces, eos, zeros.
std::vector<int64_t> expected_ids(std::vector<int64_t> pieces, int64_t text_len) {
  if (static_cast<int64_t>(pieces.size()) > text_len - 1) pieces.resize(static_cast<size_t>(text_len - 1));
  pieces.push_back(1);
  pieces.resize(static_cast<size_t>(text_len), 0);
  return pieces;
}

// Trains a unigram model with T5's special ids (pad 0, eos 1, unk 2, no bos) unless `args` says
// otherwise; returns the model's path.
std::string train_model(const std::string& dir, const std::string& name, const std::string& extra_args) {
  const std::string corpus = dir + "/corpus.txt";
  testing::write_text(corpus, corpus_text());
  const std::string prefix = dir + "/" + name;
  train_sentencepiece_model("--input=" + corpus + " --model_prefix=" + prefix +
                            " --vocab_size=200 --model_type=unigram --hard_vocab_limit=false --num_threads=1"
                            " --character_coverage=1.0 --minloglevel=2 " + extra_args);
  return prefix + ".model";
}

class SentencePieceTokenizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!sentencepiece_available()) return;
    dir_ = testing::make_scratch_dir("spm");
    // "lighthouse" as a user-defined piece: id 3, right after pad, eos and unk
    model_ = train_model(dir_, "t5like",
                         "--pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 --user_defined_symbols=lighthouse");
  }
  void SetUp() override {
    if (!sentencepiece_available()) GTEST_SKIP() << "this build has no libsentencepiece";
  }
  // The library's own ids for `text` (encode_cleaned passes the text to it unchanged).
  static std::vector<int64_t> library_ids(const std::string& text) {
    return SentencePieceTokenizer(model_, 8).encode_cleaned(text);
  }
  static std::string dir_;
  static std::string model_;
};
std::string SentencePieceTokenizerTest::dir_;
std::string SentencePieceTokenizerTest::model_;

TEST_F(SentencePieceTokenizerTest, IdsThenEosThenPadding) {
  const SentencePieceTokenizer tok(model_, 64);
  EXPECT_EQ(tok.text_len(), 64);
  EXPECT_EQ(tok.path(), model_);
  EXPECT_GT(tok.vocab_size(), 100);  // 142 pieces from this corpus (the trainer stops early)
  const std::string prompt = "a red boat, the camera pans left under a cloudy sky.";
  const auto pieces = library_ids(prompt);
  ASSERT_GE(pieces.size(), 5u);
  ASSERT_LT(pieces.size(), 63u);
  for (int64_t id : pieces) EXPECT_GE(id, 3) << "a word must not map to pad/eos/unk";

  const auto t = tok(prompt);
  ASSERT_EQ(t.ids.sizes(), torch::IntArrayRef({1, 64}));
  ASSERT_EQ(t.mask.sizes(), torch::IntArrayRef({1, 64}));
  EXPECT_EQ(t.ids.scalar_type(), torch::kLong);
  const auto ids = ids_of(t);
  const size_t n = pieces.size();
  EXPECT_EQ(std::vector<int64_t>(ids.begin(), ids.begin() + n), pieces);
  EXPECT_EQ(ids[n], 1);  // eos
  EXPECT_EQ(std::vector<int64_t>(ids.begin() + n + 1, ids.end()), std::vector<int64_t>(63 - n, 0));
  EXPECT_EQ(t.length, static_cast<int64_t>(n) + 1);
  EXPECT_EQ(t.mask.sum().item<int64_t>(), static_cast<int64_t>(n) + 1);
  EXPECT_EQ(t.mask[0][n].item<int64_t>(), 1);
  EXPECT_EQ(t.mask[0][n + 1].item<int64_t>(), 0);
}

TEST_F(SentencePieceTokenizerTest, PromptIsCleanedBeforeEncoding) {
  const SentencePieceTokenizer tok(model_, 32);
  const std::string messy = "  a red&nbsp;boat,\n\tthe camera \xE2\x80\x9Cpans\xE2\x80\x9D left &amp;amp;amp; dusk  ";
  const std::string clean = clean_prompt(messy);
  EXPECT_EQ(clean, "a red boat, the camera \"pans\" left & dusk");  // NBSP is White_Space
  EXPECT_EQ(ids_of(tok(messy)), ids_of(tok(clean)));
  EXPECT_EQ(ids_of(tok(messy)), expected_ids(library_ids(clean), 32));
  // the raw text encodes differently: cleaning did something
  EXPECT_NE(library_ids(messy), library_ids(clean));
}

TEST_F(SentencePieceTokenizerTest, PinnedIds) {
  const SentencePieceTokenizer tok(model_, 8);
  // the user-defined piece is always one piece, id 3; the word boundary before it is its own piece
  const auto lighthouse = tok.encode_cleaned("lighthouse");
  ASSERT_FALSE(lighthouse.empty());
  EXPECT_EQ(lighthouse.back(), 3);
  EXPECT_EQ(ids_of(tok("the lighthouse")).at(tok("the lighthouse").length - 2), 3);
  // a character the corpus never had is unk (id 2)
  const auto unseen = tok.encode_cleaned("\xD0\x96");  // Cyrillic Zhe
  EXPECT_NE(std::find(unseen.begin(), unseen.end(), 2), unseen.end());
}

TEST_F(SentencePieceTokenizerTest, TruncationKeepsEos) {
  const std::string prompt = "the old lighthouse, the view rises above the trees as rain begins to fall.";
  const auto pieces = library_ids(prompt);
  const int64_t n = static_cast<int64_t>(pieces.size());
  ASSERT_GE(n, 10);
  for (const int64_t text_len : {n + 1, n, int64_t{8}, int64_t{1}}) {
    const SentencePieceTokenizer tok(model_, text_len);
    const auto t = tok(prompt);
    const int64_t kept = std::min(n, text_len - 1);
    EXPECT_EQ(ids_of(t), expected_ids(pieces, text_len)) << "text_len " << text_len;
    EXPECT_EQ(t.length, kept + 1) << "text_len " << text_len;
    EXPECT_EQ(t.mask.sum().item<int64_t>(), kept + 1);
  }
}

TEST_F(SentencePieceTokenizerTest, EmptyPromptIsEosOnly) {
  const SentencePieceTokenizer tok(model_, 4);
  const auto t = tok(" \n\t ");
  EXPECT_EQ(ids_of(t), (std::vector<int64_t>{1, 0, 0, 0}));
  EXPECT_EQ(t.length, 1);
}

TEST_F(SentencePieceTokenizerTest, BadFilesNameTheFile) {
  const std::string missing = dir_ + "/missing.model";
  EXPECT_THROW(
      {
        try {
          SentencePieceTokenizer(missing, 8);
        } catch (const UsageError& e) {
          EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
          EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
          throw;
        }
      },
      UsageError);
  const std::string text_file = dir_ + "/not_a_model.model";
  testing::write_text(text_file, "this is not a sentencepiece model\n");
  try {
    SentencePieceTokenizer(text_file, 8);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer file '" + text_file + "' is not a SentencePiece model"),
              std::string::npos)
        << e.what();
  }
  try {
    SentencePieceTokenizer(dir_, 8);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'" + dir_ + "' is not a regular file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(SentencePieceTokenizer(model_, 0), UsageError);
}

TEST_F(SentencePieceTokenizerTest, ModelWithOtherSpecialIdsIsRejected) {
  // SentencePiece's defaults: unk 0, bos 1, eos 2, no pad.
  const std::string other = train_model(dir_, "defaults", "");
  try {
    SentencePieceTokenizer(other, 8);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(other), std::string::npos) << what;
    EXPECT_NE(what.find("found \"</s>\" = id 2"), std::string::npos) << what;
  }
}

TEST_F(SentencePieceTokenizerTest, TextEncoderUsesTheFileTokenizer) {
  auto o = text::T5EncoderOptions().vocab_size(512).dim(32).dim_attn(32).dim_ffn(64).num_heads(4).num_layers(2);
  o.text_len(32);
  text::TextEncoder enc(o, 7, torch::kCPU, torch::kFloat);
  const SentencePieceTokenizer tok(model_, 32);
  enc.set_tokenizer(tok.as_function(), tok.vocab_size());
  const std::string prompt = "a busy market, we turn right at dusk.";
  const auto t = tok(prompt);
  EXPECT_TRUE(torch::equal(enc.tokenize(prompt).ids, t.ids));
  const auto ctx = enc.encode(prompt);
  ASSERT_EQ(ctx.sizes(), torch::IntArrayRef({t.length, 32}));
  const auto full = enc.model()->forward(t.ids, t.mask);  // [1, 32, 32]
  EXPECT_TRUE(torch::equal(ctx, full[0].narrow(0, 0, t.length)));
  // the built-in tokenizer gives other ids
  EXPECT_FALSE(torch::equal(enc.tokenizer()(prompt).ids, t.ids));

  // a vocabulary larger than the encoder's embedding is refused
  auto small = o;
  small.vocab_size(64);
  text::TextEncoder small_enc(small, 7, torch::kCPU, torch::kFloat);
  try {
    small_enc.set_tokenizer(tok.as_function(), tok.vocab_size());
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("vocabulary (vocab_size) has 64 rows"), std::string::npos) << e.what();
  }
}

TEST(SentencePieceUnavailableTest, WithoutTheLibraryTheTokenizerSaysSo) {
  if (sentencepiece_available()) GTEST_SKIP() << "this build has libsentencepiece";
  try {
    SentencePieceTokenizer("spiece.model", 512);
    FAIL() << "expected a UsageError";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("spiece.model"), std::string::npos) << e.what();
  }
}

}  // namespace sentencepiece_tokenizer_test
}  // namespace ablate::io
