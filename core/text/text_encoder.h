// TextEncoder: tokenizer + seeded T5 encoder, the reference's T5EncoderModel (t5.py) for one
// prompt: tokenize, encode, trim the context to the real length.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/text/t5_encoder.h"
#include "core/text/t5_options.h"
#include "core/text/tokenizer.h"

namespace ablate::text {

class TextEncoder {
 public:
  /// Builds the encoder, moves it to (device, dtype), fills its weights with
  /// init_parameters(seed, t5_init_rule, prefix "t5."), and sets eval mode without gradients.
  TextEncoder(const T5EncoderOptions& options, uint64_t seed, torch::Device device, torch::Dtype dtype);

  /// Where its weights come from and are first built, when not seeded on `device`.
  struct Build {
    bool seeded = true;                    // false: left unwritten (a checkpoint fills them all)
    torch::Device device = torch::kCPU;    // where the parameters are allocated first
  };
  /// As above, but with the weights allocated on build.device and seeded only if build.seeded:
  /// a rank that loads its own slices builds on the CPU without writing, so the whole encoder
  /// never takes host or device memory; its shards then bring the parameters to `device`.
  TextEncoder(const T5EncoderOptions& options, uint64_t seed, torch::Device device, torch::Dtype dtype, Build build);

  /// prompt -> context [len, dim] in the encoder's dtype on its device, len = real tokens
  /// (eos included). The length is read on the host once (HostReadSite::kTextLength), as the
  /// reference's u[:v] slice does.
  torch::Tensor encode(const std::string& prompt);

  /// Offload (the reference's offload_model on one GPU): keep the weights in pinned host memory
  /// and give encode() device copies that are dropped afterwards (no copy back). Frees device
  /// memory for the DiT.
  void set_offload(bool offload);
  bool offload() const { return offload_; }

  /// Replaces the built-in hash tokenizer, e.g. with io::SentencePieceTokenizer::as_function().
  /// vocab_size: the tokenizer's ids are all below it; UsageError when it exceeds the encoder's
  /// embedding rows (options.vocab_size). The tokenizer must pad to options.text_len.
  void set_tokenizer(TokenizeFn tokenize, int64_t vocab_size);
  /// The tokenization encode() uses: the one set by set_tokenizer, else the built-in one.
  TokenizedPrompt tokenize(const std::string& prompt) const;

  /// The built-in hash tokenizer (used unless set_tokenizer was called).
  const Tokenizer& tokenizer() const { return tokenizer_; }
  T5Encoder& model() { return model_; }
  torch::Device device() const { return device_; }
  torch::Dtype dtype() const { return dtype_; }

 private:
  Tokenizer tokenizer_;
  TokenizeFn file_tokenizer_;  // empty: tokenizer_
  T5Encoder model_;
  torch::Device device_;
  torch::Dtype dtype_;
  bool offload_ = false;
  std::vector<torch::Tensor> host_params_;  // pinned host copies while offloaded
};

}  // namespace ablate::text
