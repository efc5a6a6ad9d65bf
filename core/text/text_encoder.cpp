// TextEncoder: construction with seeded weights, and encode() as t5.py T5EncoderModel.__call__.
#include "core/text/text_encoder.h"

#include "core/error.h"
#include "core/host_read.h"
#include "core/seeded_init.h"
#include "profiling/nvtx.h"

namespace ablate::text {

TextEncoder::TextEncoder(const T5EncoderOptions& options, uint64_t seed, torch::Device device,
                         torch::Dtype dtype)
    : TextEncoder(options, seed, device, dtype, Build{true, device}) {}

TextEncoder::TextEncoder(const T5EncoderOptions& options, uint64_t seed, torch::Device device, torch::Dtype dtype,
                         Build build)
    : tokenizer_(options.vocab_size(), options.text_len()),
      model_(T5EncoderOptions(options).tensor_options(torch::TensorOptions().device(build.device).dtype(dtype))),
      device_(device), dtype_(dtype) {
  // Moving first and seeding in place gives the same bits as seeding in float32 and then
  // casting (init_parameters rounds its float32 values with copy_), without a float32 copy of
  // every weight on the host.
  model_->to(build.device, dtype);
  if (build.seeded) init_parameters(*model_, seed, t5_init_rule, "t5.");
  for (auto& p : model_->parameters()) p.requires_grad_(false);
  model_->eval();
}

void TextEncoder::set_offload(bool offload) {
  torch::NoGradGuard no_grad;
  if (offload == offload_) return;
  offload_ = offload;
  host_params_.clear();
  if (!offload) {
    model_->to(device_);
    return;
  }
  model_->to(torch::kCPU);
  for (auto& p : model_->parameters()) {
    // pinned memory lets the device copies go at full PCIe speed and asynchronously
    auto pinned = device_.is_cuda() ? p.pin_memory() : p;
    p.set_data(pinned);
    host_params_.push_back(pinned);
  }
}

void TextEncoder::set_tokenizer(TokenizeFn tokenize, int64_t vocab_size) {
  ABLATE_USAGE_CHECK(vocab_size <= tokenizer_.vocab_size(), "the tokenizer has ", vocab_size,
                     " ids, but the text encoder's vocabulary (vocab_size) has ", tokenizer_.vocab_size(),
                     " rows");
  file_tokenizer_ = std::move(tokenize);
}

TokenizedPrompt TextEncoder::tokenize(const std::string& prompt) const {
  if (!file_tokenizer_) return tokenizer_(prompt);
  TokenizedPrompt tokens = file_tokenizer_(prompt);
  TORCH_CHECK(tokens.ids.dim() == 2 && tokens.ids.size(1) == tokenizer_.text_len(),
              "TextEncoder: expected the tokenizer to give ids [1, ", tokenizer_.text_len(), "], but got ",
              tokens.ids.sizes());
  return tokens;
}

torch::Tensor TextEncoder::encode(const std::string& prompt) {
  ABLATE_NVTX_RANGE("text_encode");
  torch::NoGradGuard no_grad;
  if (offload_) {
    for (auto& p : model_->parameters()) p.set_data(p.to(device_, /*non_blocking=*/true));
  }
  const TokenizedPrompt tokens = tokenize(prompt);
  auto ids = tokens.ids.to(device_);    // [1, text_len]
  auto mask = tokens.mask.to(device_);  // [1, text_len]
  // The reference computes the length from the device mask and reads it on the host when it
  // slices (u[:v]); both are kept, so the read is the same GPU->host sync.
  auto seq_lens = mask.gt(0).sum(/*dim=*/1).to(torch::kLong);  // [1]
  auto context = model_->forward(ids, mask);                   // [1, text_len, dim]
  const int64_t len = host_read_int(seq_lens[0], HostReadSite::kTextLength);
  TORCH_CHECK(len == tokens.length, "TextEncoder: expected the device mask to hold ", tokens.length,
              " real tokens, but found ", len);
  if (offload_) {
    auto params = model_->parameters();
    for (size_t i = 0; i < params.size(); ++i) params[i].set_data(host_params_[i]);  // device copies freed
  }
  return context[0].slice(/*dim=*/0, 0, len);  // [len, dim]
}

}  // namespace ablate::text
