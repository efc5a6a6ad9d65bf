// SentencePieceTokenizer: the reference's umt5-xxl tokenizer from its spiece.model file, through
// libsentencepiece (wan/modules/tokenizers.py HuggingfaceTokenizer with clean='whitespace',
// padding='max_length', truncation=True, add_special_tokens=True):
//   1. clean the prompt (core/io/prompt_clean.h: ftfy subset, html.unescape twice, whitespace);
//   2. encode the cleaned text with the SentencePiece model (its own normalizer included);
//   3. keep at most text_len - 1 ids and append eos (id 1, T5's "</s>"); no bos;
//   4. pad with id 0 ("<pad>") to text_len; the mask is 1 on the ids and eos.
// Differences from HF's T5TokenizerFast besides the cleaning (prompt_clean.h): a literal special
// token in the prompt ("</s>", "<pad>", "<unk>", "<extra_id_N>") is plain text to SentencePiece
// but one special id to HF.
//
// libsentencepiece is reached through a helper library loaded with dlopen (see
// core/io/sentencepiece_shim.h for why). Built without libsentencepiece (ABLATE_HAVE_SENTENCEPIECE
// unset), or when the helper cannot be loaded, the constructor throws a UsageError saying so.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/text/tokenizer.h"

namespace ablate::io {

/// True when this build has libsentencepiece and its helper library loads.
bool sentencepiece_available();

/// SentencePieceTrainer::Train with command-line style args ("--input=corpus.txt
/// --model_prefix=m --vocab_size=300 ..."): makes small models for tests. UsageError with the
/// trainer's message when it fails or the library is absent.
void train_sentencepiece_model(const std::string& args);

class SentencePieceTokenizer {
 public:
  /// Loads `model_path`. UsageError naming the file when it is missing, unreadable, not a
  /// SentencePiece model, or when its "</s>" / "<pad>" pieces are not ids 1 / 0; also when
  /// text_len < 1 or the build lacks libsentencepiece.
  SentencePieceTokenizer(const std::string& model_path, int64_t text_len);

  /// Rules 1-4 above: ids and mask [1, text_len] int64 on the CPU.
  text::TokenizedPrompt operator()(const std::string& prompt) const;

  /// Rule 2 only: the model's ids for already-cleaned text (no eos, no truncation).
  std::vector<int64_t> encode_cleaned(const std::string& cleaned) const;

  /// Pieces in the model: every id is < vocab_size().
  int64_t vocab_size() const;
  int64_t text_len() const { return text_len_; }
  const std::string& path() const { return path_; }

  /// This tokenizer as a text::TokenizeFn (shares the loaded model).
  text::TokenizeFn as_function() const;

 private:
  struct Model;
  std::shared_ptr<const Model> model_;
  std::string path_;
  int64_t text_len_;
};

}  // namespace ablate::io
