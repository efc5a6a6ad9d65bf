// The fixed core generator: one image-to-video generate() of the LingBot-World fast pipeline
// (text encoder -> VAE encode of the first frame -> camera rays -> 7 chunks x (4 denoising
// forwards + 1 cache refresh) of the causal DiT -> VAE decode), with the reference's host reads.
#pragma once
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/camera.h"
#include "core/config.h"
#include "core/dist/communicator.h"
#include "core/dist/param_shards.h"
#include "core/dit/wan_model.h"
#include "core/geometry.h"
#include "core/host_read.h"
#include "core/precision.h"
#include "core/sampler.h"
#include "core/seams.h"
#include "core/text/text_encoder.h"
#include "core/vae/wan_vae.h"
#include "profiling/phase_hooks.h"

namespace ablate {

struct PipelineOptions {
  ModelConfig model;
  torch::Device device = torch::kCPU;
  Precision precision;
  uint64_t weight_seed = 0;       // seeds every network's weights
  int64_t local_attn_size = -1;   // sliding-window KV cache (latent frames), -1 = global
  int64_t sink_size = 0;
  bool offload_text_encoder = false;  // text-encoder weights in host memory between encodes
  // Multi-process: sequence parallel over `comm` and sharded DiT / text-encoder parameters
  // (null or world 1: one process, everything resident).
  dist::Communicator* comm = nullptr;
  dist::Residency residency = dist::Residency::kFullShard;
  bool prefetch_gathers = false;  // start the next unit's all-gather while the current one computes
  // Keep the DiT's KV caches from one generate() to the next (zero-filled at the start of each,
  // as fresh ones are) instead of allocating new ones: the same storage across calls, which a
  // captured forward needs. New caches only when the shape changes.
  bool keep_kv_caches = false;
  // A checkpoint folder in the reference's layout (core/io/checkpoint_layout.h). Empty: seeded
  // weights. Set: checked against the preset before anything is built, then loaded into the
  // three networks (cast to their dtypes) instead of the seeded init (at world > 1: load_rank_slices).
  std::string checkpoint_dir;
  // World > 1 with sharded units: each rank reads only its own slices of the DiT and T5 units'
  // flat parameters from the checkpoint, made directly on the device; the DiT is built in host
  // memory that is never touched, so no rank holds it whole (false: every rank loads both whole,
  // then keeps its slices; the same bytes either way).
  bool load_rank_slices = true;
  // The umt5-xxl SentencePiece model (spiece.model) the text encoder tokenizes with (core/io/
  // sentencepiece_tokenizer.h). Empty: the built-in hash tokenizer.
  std::string tokenizer_path;
  // How the VAE's encoder and decoder compute (dtype, memory format); the reference: float32.
  vae::VaeCompute vae_compute;
};

// Real inputs of one generate(): the reference's image, the action path's poses.npy + intrinsics.npy,
// and action.npy (action mode). Each one left empty keeps its synthetic default (the test card, the
// synthetic dolly, a held W key), bit for bit as without it.
// How the weights were loaded from PipelineOptions::checkpoint_dir (all zero without one).
struct CheckpointLoadStats {
  double seconds = 0;             // reading the files and sharding (not checking or building)
  int64_t files = 0, tensors = 0;
  int64_t bytes_read = 0;         // stored bytes copied out of the files
  int64_t largest_file_bytes = 0; // the largest file under the checkpoint folder
  bool rank_slices = false;       // this rank read only its own slices of the DiT / T5 units
  int64_t rss_before_bytes = 0;   // host RSS when the load began
  int64_t peak_rss_bytes = 0;     // host RSS high-water mark while loading and sharding
  bool peak_since_start = false;  // the kernel refused to reset the mark: the process's peak so far
};

struct GenerateInputs {
  torch::Tensor image;                      // [H, W, 3] uint8 RGB, CPU; or
  std::string image_path;                   //   a PNG or JPEG file
  std::optional<CameraTrajectory> camera;   // io::camera_trajectory(poses, intrinsics); or
  std::string poses_path, intrinsics_path;  //   two .npy files, both or neither
  torch::Tensor action;                     // [N, 4] W, A, S, D rows (needs a control_dim 7 DiT); or
  std::string action_path;                  //   an .npy file
};

// The inputs with every named file read into tensors (the paths stay, as labels for messages).
// UsageError naming a missing or bad file.
GenerateInputs load_inputs(const GenerateInputs& inputs);

// One noise draw of generate(), in its order: the initial latent noise (chunk = step = -1), then
// after each non-final denoising step the re-noising draw (chunk, step).
struct NoiseDraw {
  int64_t chunk = -1;
  int64_t step = -1;
  std::vector<int64_t> shape;  // [16, lat_f, lat_h, lat_w] (initial) or x0's [16, chunk, lat_h, lat_w]
};
// Noise from outside instead of the seeded generator (e.g. another implementation's draws read from
// files): returns a float32 tensor of draw.shape on any device.
using NoiseSource = std::function<torch::Tensor(const NoiseDraw& draw)>;
// Sees generate()'s intermediates as they are made (names in GenerateRequest::observe).
using TensorObserver = std::function<void(const std::string& name, const torch::Tensor& value)>;

struct GenerateRequest;
// The geometry of `request` with its (loaded) inputs applied: the image's aspect ratio with the
// size's area, the poses' frame clamp. The request's geometry must be complete (size, world, window).
VideoGeometry geometry_with_inputs(const struct GenerateRequest& request);

struct GenerateRequest {
  std::string prompt = "A lakeside path at dawn, mist over the water, the camera slowly moving forward.";
  uint64_t seed = 42;
  // Which synthetic test card and camera path: 0 the default ones; k > 0 request k of a cycle of
  // distinct requests (another card and path, so image and camera caches miss).
  int64_t variant = 0;
  GeometryRequest geometry;        // size/frames; world_size/window are filled from the pipeline
  bool keep_step_latents = true;   // keep each step's x0 (device copies) for the hash chain (a batch: request 0's says)
  GenerateInputs inputs;           // image / camera path / actions; empty: the synthetic ones
  // Every noise draw from here instead of the generator (empty: the seeded generator). A tensor of
  // another shape or dtype throws a UsageError naming the draw.
  NoiseSource noise;
  // Called on every rank with, in order: "noise_initial" [16, lat_f, lat_h, lat_w] float32,
  // "text_embedding" [len, dim] (the text encoder's dtype), "control" (the DiT's camera or action
  // input, as control_conditioning makes it), "first_frame_latent" [16, lat_f, lat_h,
  // lat_w] float32 (the VAE encode, before the mask is prepended), then per chunk c and step s
  // "dit_output_c<c>_s<s>" (the flow prediction [16, chunk, lat_h, lat_w] float32), "x0_c<c>_s<s>" and,
  // after a non-final step, "noise_c<c>_s<s>"; and at the end "latents" and (rank 0) "video".
  TensorObserver observe;
};

struct GenerateOutput {
  VideoGeometry geometry;
  torch::Tensor video;                      // [3, F, H, W] float32 in [-1, 1] (rank 0; undefined elsewhere)
  torch::Tensor latents;                    // [16, lat_f, lat_h, lat_w] float32 denoised
  std::vector<torch::Tensor> step_latents;  // x0 after every denoising step (chunk-major)
  HostReadStats host_reads;                 // reads during this generate() (a batch: the whole batch's)
  HostReadStats dit_host_reads;             // the part inside DiT forwards
  int64_t dit_forwards = 0;                 // a batch: its forwards, each holding every request
};

class Pipeline {
 public:
  explicit Pipeline(const PipelineOptions& options);

  GenerateOutput generate(const GenerateRequest& request, PhaseHooks* hooks = nullptr);
  // B requests in one generate() (the reference's batched path): each its own seed, prompt, image
  // and camera path, one geometry for all (UsageError otherwise); text encode, VAE encode, noise
  // and re-noising per request in request order, every DiT forward on all B latents as batch B
  // with [B, ...] KV caches, VAE decode per request. Returns the B outputs in request order; one
  // request is exactly generate().
  std::vector<GenerateOutput> generate_batch(const std::vector<GenerateRequest>& requests,
                                             PhaseHooks* hooks = nullptr);

  Seams& seams() { return seams_; }
  const PipelineOptions& options() const { return options_; }
  text::TextEncoder& text_encoder() { return *text_encoder_; }
  vae::WanVae& vae() { return vae_; }
  dit::WanModel& dit() { return dit_; }
  int world_size() const { return options_.comm ? options_.comm->size() : 1; }
  int rank() const { return options_.comm ? options_.comm->rank() : 0; }
  const CheckpointLoadStats& load_stats() const { return load_stats_; }
  // The bytes this rank keeps of the DiT's and the T5's sharded units (their shards; 0 at world 1).
  int64_t shard_bytes() const;

  // Geometry of a request under this pipeline's world size and window; with an image the aspect
  // ratio is the image's, with poses the frames are clamped to them (reads the request's files).
  VideoGeometry geometry_for(const GenerateRequest& request) const;

 private:
  VideoGeometry geometry_for(const GenerateRequest& request, const GenerateInputs& loaded) const;
  torch::Tensor synthetic_image(int64_t height, int64_t width, int64_t variant) const;  // [3, H, W] in [-1, 1]
  // the image before the resize: the input's [3, H, W] in [-1, 1], or the synthetic card
  torch::Tensor first_frame_image(const GenerateInputs& loaded, const VideoGeometry& g, int64_t variant) const;
  // the DiT's control input: camera rays (control_dim 6) or rays_d + actions (control_dim 7)
  torch::Tensor control_conditioning(const GenerateInputs& loaded, const VideoGeometry& g, int64_t variant) const;
  torch::Tensor first_frame_condition(const torch::Tensor& image, const VideoGeometry& g);  // y [20, lat_f, h, w]
  dit::KvCaches kv_caches(const dit::KvCacheShape& shape);  // fresh, or the kept ones zero-filled
  // every request's noise, text, control input and first-frame condition, stacked for the DiT
  struct BatchConditions;
  BatchConditions condition_batch(const std::vector<GenerateRequest>& requests,
                                  const std::vector<GenerateInputs>& inputs, const VideoGeometry& g, PhaseHooks* hooks);

  PipelineOptions options_;
  std::unique_ptr<text::TextEncoder> text_encoder_;
  vae::WanVae vae_{nullptr};
  dit::WanModel dit_{nullptr};
  FlowMatchSampler sampler_;
  Seams seams_;
  std::unique_ptr<dist::ParamShards> dit_shards_, text_shards_;
  CheckpointLoadStats load_stats_;
  dit::KvCaches kept_caches_;  // keep_kv_caches
  bool seed_broadcast_ = false;  // rank 0's seed was broadcast (once per process, as the reference)
  dit::KvCacheShape kept_shape_;
};

}  // namespace ablate
