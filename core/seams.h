// The seams of the core generator (DESIGN.md §3): where a strategy may change *how* something is
// done without the core knowing any strategy. Every default is the reference's behaviour.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>

#include "core/dit/forward_args.h"
#include "core/geometry.h"

namespace ablate {

namespace text {
class TextEncoder;
}

// Where in generate() a DiT forward happens.
struct ForwardSite {
  int64_t forward_index = 0;  // 0-based within this generate()
  int64_t chunk = 0;
  int64_t step = 0;           // denoising step; == steps for the cache-refresh forward
  bool refresh = false;       // the t=0 forward that rewrites the chunk's KV slot
  int64_t current_start = 0;
  const VideoGeometry* geometry = nullptr;
  torch::Device device = torch::kCPU;
};

struct Seams {
  // text-embedding provider: prompt -> [len, text_dim] context. Empty: encode every call.
  std::function<torch::Tensor(text::TextEncoder& encoder, const std::string& prompt)> embed_text;
  // host metadata for each DiT forward: may fill the optional fields of ForwardArgs
  // (frame_seqlen, cross_attn_first_call, host_kv_indices, seq_len, kv_write_index). Empty: none.
  std::function<void(dit::ForwardArgs& args, const ForwardSite& site)> forward_hints;
  // sampler bookkeeping: sigma lookups on the host tables (no device reads) instead of the
  // reference's device argmin / nonzero().item().
  bool sampler_host_lookups = false;
};

}  // namespace ablate
