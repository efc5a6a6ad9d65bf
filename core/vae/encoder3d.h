// Encoder3d of the Wan2.1 VAE: video [B, 3, T, H, W] -> [B, z_dim, T', H/8, W/8] (z_dim = 2*16:
// mu and log_var), one cached step at a time (first frame alone, then groups of 4).
#pragma once
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "core/vae/attention_block.h"
#include "core/vae/causal_conv3d.h"
#include "core/vae/feature_cache.h"
#include "core/vae/resample.h"
#include "core/vae/residual_block.h"
#include "core/vae/rms_norm.h"

namespace ablate::vae {

// One stage of the encoder's forward (conv1, each downsamples.{i}, middle.{0,1,2}, head), as an
// EncoderStageExecutor sees it during a cached step.
struct EncoderStageCall {
  int64_t index = 0;                   // 0 .. stage_count() - 1, in forward order
  const std::string& name;             // the probe's name, e.g. "encoder.downsamples.3"
  const torch::Tensor& input;          // the stage's input in this step
  // The stage's own cache slots are cache->slots()[first_slot, first_slot + slot_count): before
  // run() they hold what the previous step left (they do not exist before the first step).
  const FeatureCache* cache = nullptr;
  size_t first_slot = 0;
  size_t slot_count = 0;
  std::function<torch::Tensor()> run;  // the stage on `input`; reads and replaces its slots
};
// Runs one stage of a cached step: must return what call.run() would return and leave the stage's
// slots as run() would (e.g. an earlier step's output, where input and slots were bitwise those of
// that step and run() left its slots unchanged then).
using EncoderStageExecutor = std::function<torch::Tensor(const EncoderStageCall& call)>;

struct Encoder3dOptions {
  /// Base channel width. Default: 96
  TORCH_ARG(int64_t, dim) = 96;
  /// Output channels (WanVAE_ builds the encoder with 2 * z_dim). Default: 32
  TORCH_ARG(int64_t, z_dim) = 32;
  /// Channel multipliers per stage. Default: {1, 2, 4, 4}
  TORCH_ARG(std::vector<int64_t>, dim_mult) = std::vector<int64_t>({1, 2, 4, 4});
  /// Residual blocks per stage. Default: 2
  TORCH_ARG(int64_t, num_res_blocks) = 2;
  /// Per stage boundary: downsample3d (true) or downsample2d. Default: {false, true, true}
  TORCH_ARG(std::vector<bool>, temporal_downsample) = std::vector<bool>({false, true, true});
};

class Encoder3dImpl : public torch::nn::Module {
 public:
  explicit Encoder3dImpl(const Encoder3dOptions& options);

  // x: [B, 3, T, H, W] -> [B, z_dim, T', H/8, W/8]. With a cache (rewound by the caller): T = 1
  // gives T' = 1 (first step), T = 4 gives T' = 1 (later steps). probe: see ActivationProbe.
  // execute (with a cache only): runs each stage (empty: eagerly).
  torch::Tensor forward(const torch::Tensor& x, FeatureCache* cache = nullptr,
                        const ActivationProbe& probe = nullptr,
                        const EncoderStageExecutor& execute = nullptr);

  int64_t stage_count() const { return static_cast<int64_t>(stages_.size()); }
  const std::string& stage_name(int64_t index) const { return stages_.at(index).name; }

 private:
  // A stage of forward(): its name, the cache slots it visits, and what it does.
  struct Stage {
    std::string name;
    size_t slot_count = 0;
    std::function<torch::Tensor(const torch::Tensor& x, FeatureCache* cache)> run;
  };

  // One entry of `downsamples`: a residual block or a resample (exactly one is set).
  struct Layer {
    ResidualBlock res{nullptr};
    Resample resample{nullptr};
    size_t cache_slots = 0;  // two causal convs per block; downsample3d's time_conv
  };

  Encoder3dOptions options_;
  CausalConv3d conv1_{nullptr};        // conv1: 3 -> dim, 3x3x3
  torch::nn::ModuleList downsamples_;  // downsamples.{i}
  std::vector<Layer> layers_;          // typed view of downsamples_
  torch::nn::ModuleList middle_;       // middle.{0: res, 1: attn, 2: res}
  ResidualBlock middle_res0_{nullptr}, middle_res1_{nullptr};
  AttentionBlock middle_attn_{nullptr};
  torch::nn::ModuleList head_;  // head.{0: RMS, 1: SiLU, 2: conv -> z_dim}
  RmsNorm head_norm_{nullptr};
  CausalConv3d head_conv_{nullptr};
  std::vector<Stage> stages_;
};
TORCH_MODULE(Encoder3d);

}  // namespace ablate::vae
