// TextEncoder: construction with seeded weights, and encode() as t5.py T5EncoderModel.__call__.
#include "core/text/text_encoder.h"

#include "core/host_read.h"
#include "core/seeded_init.h"
#include "profiling/nvtx.h"

namespace ablate::text {

TextEncoder::TextEncoder(const T5EncoderOptions& options, uint64_t seed, torch::Device device,
                         torch::Dtype dtype)
    : tokenizer_(options.vocab_size(), options.text_len()), model_(T5EncoderOptions(options).tensor_options(torch::TensorOptions().device(device).dtype(dtype))),
      device_(device), dtype_(dtype) {
  // Moving first and seeding in place gives the same bits as seeding in float32 and then
  // casting (init_parameters rounds its float32 values with copy_), without a float32 copy of
  // every weight on the host.
  model_->to(device, dtype);
  init_parameters(*model_, seed, t5_init_rule, "t5.");
  for (auto& p : model_->parameters()) p.requires_grad_(false);
  model_->eval();
}

void TextEncoder::set_offload(bool offload) {
  offload_ = offload;
  model_->to(offload ? torch::Device(torch::kCPU) : device_);
}

torch::Tensor TextEncoder::encode(const std::string& prompt) {
  ABLATE_NVTX_RANGE("text_encode");
  torch::NoGradGuard no_grad;
  if (offload_) model_->to(device_);
  const TokenizedPrompt tokens = tokenizer_(prompt);
  auto ids = tokens.ids.to(device_);    // [1, text_len]
  auto mask = tokens.mask.to(device_);  // [1, text_len]
  // The reference computes the length from the device mask and reads it on the host when it
  // slices (u[:v]); both are kept, so the read is the same GPU->host sync.
  auto seq_lens = mask.gt(0).sum(/*dim=*/1).to(torch::kLong);  // [1]
  auto context = model_->forward(ids, mask);                   // [1, text_len, dim]
  const int64_t len = host_read_int(seq_lens[0], HostReadSite::kTextLength);
  TORCH_CHECK(len == tokens.length, "TextEncoder: expected the device mask to hold ", tokens.length,
              " real tokens, but found ", len);
  if (offload_) model_->to(torch::kCPU);
  return context[0].slice(/*dim=*/0, 0, len);  // [len, dim]
}

}  // namespace ablate::text
