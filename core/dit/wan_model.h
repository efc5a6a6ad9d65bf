// The causal Wan DiT (WanModelFast with camera control): patch and camera embeddings, per-token
// time embedding and 6-vector projection, text embedding, blocks with KV caches, head and
// unpatchify. Parameters are registered under the reference's state_dict key names.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>

#include "core/dit/attention_block.h"
#include "core/dit/dit_kernels.h"
#include "core/dit/dit_options.h"
#include "core/dit/forward_args.h"
#include "core/dit/head.h"
#include "core/dit/kv_cache.h"
#include "core/dit/time_embedding.h"
#include "core/precision.h"
#include "core/seeded_init.h"
#include "core/unit_hooks.h"

namespace ablate::dit {

// One chunk's inputs to a forward: one request (the shapes below), or a batch of B requests,
// each tensor with a leading batch dim (x [B, 16, f, lat_h, lat_w], t [B], context [B, text_len,
// text_dim] zero-padded, y [B, 20, ...], plucker [B, control_dim*64, ...]); then the flow
// prediction is [B, 16, f, lat_h, lat_w]. One request is the batch of 1, the same operations.
struct DitInputs {
  torch::Tensor x;        // [out_dim=16, f, lat_h, lat_w] float32 latent (noisy, or clean for the refresh)
  torch::Tensor t;        // [1] timestep
  torch::Tensor context;  // [len, text_dim] text-encoder output trimmed to the prompt length
  torch::Tensor y;        // [20, f, lat_h, lat_w] float32: 4 mask channels + 16 image-latent channels
  torch::Tensor plucker;  // [1, control_dim*64, f, lat_h, lat_w] camera rays, param dtype

  bool batched() const { return x.dim() == 5; }
};

class WanModelImpl : public torch::nn::Module {
 public:
  // Linear weights are created uninitialized with `tensor_options` (device, dtype); the rest is
  // small and moved with to(). Call init_parameters(dit_init_rule) before use.
  WanModelImpl(const DitOptions& options, int64_t local_attn_size, int64_t sink_size,
               torch::TensorOptions tensor_options = torch::TensorOptions());
  // -> flow prediction v: [out_dim, f, lat_h, lat_w] float32 ([B, out_dim, ...] for a batch)
  torch::Tensor forward(const DitInputs& in, KvCaches& caches, const ForwardArgs& args);

  // Moves the RoPE table (a plain attribute in the reference, not a buffer) next to the weights.
  void set_runtime(torch::Device device, const Precision& precision);
  const Precision& precision() const { return precision_; }
  int64_t num_layers() const { return static_cast<int64_t>(blocks->size()); }

  // Sequence parallel over `comm` (null: one rank), as sp_dit_forward_causal: replicated patch,
  // time, text and camera embeddings, tokens split across ranks, heads split in self-attention.
  dist::Communicator* comm = nullptr;
  // Parameter-residency seam (sharded parameters); null: all resident.
  UnitHooks* unit_hooks = nullptr;
  // Kernel seams (attention backend, large GEMMs, block-stack reuse; the pipeline points it at
  // Seams::dit_kernels); null or empty members: the core's own.
  const DitKernels* kernels = nullptr;
  // Debug seam: when set, called with every block's output (tests check activations per layer).
  std::function<void(int64_t block, const torch::Tensor& x)> block_observer;

  DitOptions options;
  torch::nn::Conv3d patch_embedding{nullptr};
  Linear patch_embedding_wancamctrl{nullptr};
  Linear c2ws_hidden_states_layer1{nullptr}, c2ws_hidden_states_layer2{nullptr};
  torch::nn::Sequential text_embedding{nullptr}, time_embedding{nullptr}, time_projection{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  Head head{nullptr};

 private:
  torch::Tensor embed_text(const torch::Tensor& context);                 // -> [B, text_len, dim]
  torch::Tensor embed_camera(const torch::Tensor& plucker);               // -> [B, L, dim]
  // t: [B] -> e [B, tokens, dim], e0 [B, tokens, 6, dim]
  std::pair<torch::Tensor, torch::Tensor> embed_time(const torch::Tensor& t, int64_t batch, int64_t tokens,
                                                     FrequencyTable table);
  torch::Tensor unpatchify(const torch::Tensor& x, const std::array<int64_t, 3>& grid);

  torch::Tensor freqs_;
  Precision precision_;
  Linear text_fc1_{nullptr}, text_fc2_{nullptr}, time_fc1_{nullptr}, time_fc2_{nullptr},
      time_proj_{nullptr};
};
TORCH_MODULE(WanModel);

// Per-parameter init of the DiT for ablate::init_parameters (scales in the .cpp say why).
InitSpec dit_init_rule(const std::string& name, const torch::Tensor& param);

}  // namespace ablate::dit
