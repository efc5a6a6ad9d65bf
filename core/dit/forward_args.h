// Per-forward arguments of the DiT and the host metadata a caller may supply. Every optional
// field left empty is derived the reference's way (a counted host read); supplying it is the
// mechanism that host-sync elimination (PR #51, "B3") uses. The core never decides which to supply.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

namespace ablate::dit {

struct ForwardArgs {
  int64_t current_start = 0;            // token offset of this chunk in the whole video
  int64_t max_attention_size = 1 << 30; // attend to at most this many cached tokens

  // B3 seams (empty = the reference's device/host reads):
  std::optional<int64_t> frame_seqlen;        // tokens per latent frame
  std::optional<bool> cross_attn_first_call;  // fill the cross-attention cache in this forward
  bool host_kv_indices = false;               // global cache: KV indices from current_start (no reads)
  std::optional<int64_t> seq_len;             // real tokens in this chunk
  // The time embedding's frequency table: false, the reference's torch.arange(half) on the host copied to
  // the device (model.py sinusoidal_embedding_1d: a blocking copy, one sync per forward that PR #51
  // left); true, made on the device. The values are the same.
  bool device_time_frequencies = false;

  // Work the reference does every forward that a caller may skip:
  bool embed_text = true;                 // text embedding (its output only fills the cross-attention cache)
  bool broadcast_time_embedding = false;  // time embedding for one token, broadcast to all (t is uniform)
  // Time-embedding provider: called with the shape (B requests, L tokens) and the core's computation
  // of this forward's (e [B, L, dim], e0 [B, L, 6, dim]); must return what it returns (e.g. the
  // result of an earlier forward with the same timestep and shape). Empty: computed.
  using TimeEmbedding = std::pair<torch::Tensor, torch::Tensor>;
  std::function<TimeEmbedding(int64_t batch, int64_t tokens, const std::function<TimeEmbedding()>& compute)>
      time_embedding;

  // Camera-conditioning provider. The camera embedding and every block's camera scale/shift depend
  // on the chunk's control input and the weights only, not on x or t. Called with the block index
  // (-1: the embedding c [B, L, dim] itself, returned in .first; block i: its (scale, shift), each
  // [B, L(/world), dim]) and the core's computation; must return what that returns (e.g. what an
  // earlier forward of the same chunk computed). Empty: computed.
  using CameraTerms = std::pair<torch::Tensor, torch::Tensor>;
  std::function<CameraTerms(int64_t block, const std::function<CameraTerms()>& compute)> camera_terms;
  // What the providers above do in this forward beyond its shapes ("" when nothing), e.g. filling a
  // cache or reading it: forwards that differ in it are not the same captured forward.
  std::string provider_phase;

  // KV write mechanism: slice assignment when undefined, index_copy_ along the token axis when set
  // ([tokens] int64 on the device; PR #53).
  torch::Tensor kv_write_index;
};

}  // namespace ablate::dit
