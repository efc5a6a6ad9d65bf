// The seams of the core generator (DESIGN.md §3): where a strategy may change *how* something is
// done without the core knowing any strategy. Every default is the reference's behaviour.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>

#include "core/dit/dit_kernels.h"
#include "core/dit/forward_args.h"
#include "core/dit/kv_cache.h"
#include "core/geometry.h"
#include "core/vae/vae_kernels.h"
#include "core/vae/vae_session.h"

namespace ablate {

namespace text {
class TextEncoder;
}
namespace dit {
struct DitInputs;
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

// One DiT forward as the forward-execution seam sees it.
struct ForwardCall {
  const ForwardSite& site;
  const dit::DitInputs& inputs;  // this forward's tensors (x, t, context, y, plucker)
  const dit::ForwardArgs& args;  // host values, fixed when the forward is issued (after forward_hints)
  const dit::KvCaches& caches;   // read and written in place by the forward
  // The eager forward with these args and caches on the given inputs (any tensors of the same
  // shapes and dtypes), returning the flow prediction.
  std::function<torch::Tensor(const dit::DitInputs&)> run;
};

// When the VAE decodes the denoised latent (on rank 0).
enum class DecodeSchedule {
  kAtEnd,     // the reference: the whole latent after the last chunk
  kPerChunk,  // each chunk's latent frames once the chunk is denoised, the decoder's causal feature
              // cache carried from chunk to chunk: the same per-frame decode, bit-identical
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
  // forward execution: runs one DiT forward and returns its flow prediction; must give what
  // call.run(call.inputs) gives and leave the caches as it does (e.g. by replaying a captured
  // graph of it). Empty: call.run(call.inputs), eagerly.
  std::function<torch::Tensor(const ForwardCall& call)> execute_forward;
  // first-frame encode ([image, zero frames]): asked before each group whether to reuse the
  // predecessor's encoder output and leave the feature cache as it is instead of encoding;
  // honoured for a group of zero frames after a group of zero frames (the same input; see
  // vae::EncodeSession::set_group_reuse). Empty: encode every group.
  vae::EncodeGroupReuse reuse_encoded_group;
  // first-frame encode: makes the executor of the encoder's stages for one encode (called once per
  // encode, so an executor's state lives as long as that encode; see vae::EncoderStageExecutor).
  // Empty: every stage runs eagerly.
  std::function<vae::EncoderStageExecutor()> encoder_stage_executor;
  // VAE decode schedule; with kPerChunk on a CUDA device, decode_side_stream puts each chunk's
  // decode on a side stream so that it overlaps the next chunk's DiT forwards (events order it).
  DecodeSchedule decode_schedule = DecodeSchedule::kAtEnd;
  bool decode_side_stream = false;
  // kPerChunk: each chunk's decode is issued from a host thread of its own (SideStreamHost::
  // kOwnThread), so its launches never hold back the next chunk's; the phase hooks are then
  // called from that thread too. Same kernels, same order on the decode's stream.
  bool decode_own_thread = false;
  // first-frame encode provider: `image` is what the encode starts from ([3, h, w] float32 in [-1, 1],
  // CPU, before the resize to the geometry), `encode` the core's resize + VAE encode of
  // [image, F-1 zero frames] -> [16, lat_f, lat_h, lat_w]; must return what encode() returns
  // (e.g. a cached earlier result of it). Empty: encode every call.
  std::function<torch::Tensor(const torch::Tensor& image, const VideoGeometry& g,
                              const std::function<torch::Tensor()>& encode)>
      encode_first_frame;
  // VAE decode at the end (kAtEnd), called on every rank when set, with the denoised latent
  // [16, lat_f, lat_h, lat_w] (the same on every rank): returns the video [3, F, H, W] on rank 0
  // (what vae.decode(latents) gives; anything elsewhere, dropped). Empty: rank 0 decodes alone.
  std::function<torch::Tensor(vae::WanVaeImpl& vae, const torch::Tensor& latents)> decode_video;
  // VAE decode steps (one per latent frame, on rank 0, whatever the schedule): run through this
  // executor when set (vae::DecodeStepExecutor: e.g. replaying a captured graph). Empty: eagerly.
  vae::DecodeStepExecutor decode_step;
  // cuDNN's autotuner (benchmark mode) on around the VAE's encode and decode (the process's
  // setting restored after): it picks convolution algorithms by timing, so results may change.
  bool vae_cudnn_benchmark = false;
  // Called on the host after each chunk's decode was issued (kPerChunk) with its video frames
  // [3, n, H, W]; on a side stream their values are ready only after generate() joins it. With
  // decode_own_thread it is called on the decode's thread.
  std::function<void(int64_t chunk, const torch::Tensor& frames)> on_chunk_decoded;
  // The DiT's kernel seams (attention backend, large GEMMs, block-stack reuse; dit_kernels.h).
  // Empty members: the core's own kernels.
  dit::DitKernels dit_kernels;
  // The VAE's kernel seams (channel norm + SiLU, the causal convs' padding; vae_kernels.h).
  vae::VaeKernels vae_kernels;
};

}  // namespace ablate
