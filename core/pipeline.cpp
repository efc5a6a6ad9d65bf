#include "core/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>

#include "core/dist/world.h"
#include "core/error.h"
#include "core/io/camera_files.h"
#include "core/io/image_file.h"
#include "core/io/npy.h"
#include "core/io/checkpoint.h"
#include "core/io/mapped_file.h"
#include "core/io/sentencepiece_tokenizer.h"
#include "core/rng.h"
#include "core/seeded_init.h"
#include "core/side_stream.h"
#include "profiling/nvtx.h"

namespace ablate {
namespace pipeline_loading {

// Bytes of the largest file under `dir` (the loader maps one file at a time).
int64_t largest_file_under(const std::string& dir) {
  int64_t largest = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) largest = std::max<int64_t>(largest, static_cast<int64_t>(it->file_size(ec)));
  }
  return largest;
}

}  // namespace pipeline_loading
using pipeline_loading::largest_file_under;

Pipeline::Pipeline(const PipelineOptions& options)
    : options_(options), sampler_(options.device) {
  torch::NoGradGuard no_grad;
  const auto& p = options_.precision;
  const bool from_checkpoint = !options_.checkpoint_dir.empty();
  // keys, shapes and dtypes first: a bad checkpoint fails before gigabytes are allocated
  if (from_checkpoint) io::check_checkpoint(options_.checkpoint_dir, options_.model);
  // At world > 1 each rank reads only its own slices of the units it will shard (the same bytes
  // as slicing a whole load); an offloaded T5 or a replicated world loads whole. The DiT and the
  // T5 are then built in host memory that is never touched: their parameters only give shapes,
  // the slices are made on the device, so no rank holds either whole.
  const bool shard_units = world_size() > 1 && options_.residency != dist::Residency::kReplicated;
  const bool own_slices = from_checkpoint && shard_units && options_.load_rank_slices;
  const bool t5_own_slices = own_slices && !options_.offload_text_encoder;
  text_encoder_ = std::make_unique<text::TextEncoder>(
      options_.model.t5, options_.weight_seed, options_.device, p.text,
      text::TextEncoder::Build{!from_checkpoint, t5_own_slices ? torch::Device(torch::kCPU) : options_.device});
  if (options_.offload_text_encoder && !from_checkpoint) text_encoder_->set_offload(true);
  if (!options_.tokenizer_path.empty()) {
    const io::SentencePieceTokenizer tokenizer(options_.tokenizer_path, options_.model.t5.text_len());
    text_encoder_->set_tokenizer(tokenizer.as_function(), tokenizer.vocab_size());
  }

  // the reference runs the VAE in float32 (Wan2_1_VAE(dtype=torch.float))
  vae_ = vae::WanVae(options_.model.vae);
  vae_->to(options_.device, torch::kFloat);
  if (!from_checkpoint) init_parameters(*vae_, options_.weight_seed, vae::vae_init_rule, "vae.");
  vae_->eval();
  vae_->set_kernels(&seams_.vae_kernels);  // the seams' kernels, whichever strategies fill them

  const torch::Device dit_build_device = own_slices ? torch::Device(torch::kCPU) : options_.device;
  auto param_opts = torch::TensorOptions().device(dit_build_device).dtype(p.param);
  dit_ = dit::WanModel(options_.model.dit, options_.local_attn_size, options_.sink_size, param_opts);
  dit_->to(dit_build_device, p.param);
  if (!from_checkpoint) init_parameters(*dit_, options_.weight_seed, dit::dit_init_rule, "dit.");
  dit_->set_runtime(options_.device, p);
  dit_->eval();
  dit_->kernels = &seams_.dit_kernels;  // the seams' kernels, whichever strategies fill them

  io::LoadOptions load_options;
  load_options.rank = own_slices ? rank() : 0;
  load_options.world_size = own_slices ? world_size() : 1;
  load_options.shard_t5 = !options_.offload_text_encoder;
  load_options.shard_device = options_.device;
  const auto load_start = std::chrono::steady_clock::now();
  io::LoadResult loaded;
  if (from_checkpoint) {
    load_stats_.rss_before_bytes = io::current_rss_bytes();
    load_stats_.peak_since_start = !io::reset_peak_rss();
    loaded = io::load_checkpoint(options_.checkpoint_dir, {dit_.get(), text_encoder_->model().get(), vae_.get()},
                                 load_options);
    if (options_.offload_text_encoder) text_encoder_->set_offload(true);
  }
  if (!(options_.vae_compute == vae::VaeCompute{})) vae_->set_compute(options_.vae_compute);

  if (world_size() > 1) {
    dist::check_sequence_parallel(options_.model.dit.num_heads(), world_size(), options_.model.name);
    dit_->comm = options_.comm;
    auto shards = [&](torch::nn::Module& m, int64_t blocks, std::vector<torch::Tensor>& loaded_shards) {
      auto units = dist::units_by_block_prefix(m, "blocks", blocks);
      if (loaded_shards.empty())
        return std::make_unique<dist::ParamShards>(std::move(units), options_.comm, options_.residency,
                                                   options_.prefetch_gathers);
      return std::make_unique<dist::ParamShards>(std::move(units), std::move(loaded_shards), options_.comm,
                                                 options_.residency, options_.prefetch_gathers);
    };
    dit_shards_ = shards(*dit_, options_.model.dit.num_layers(), loaded.dit_shards);
    dit_->unit_hooks = dit_shards_.get();
    auto& t5 = text_encoder_->model();
    text_shards_ = shards(*t5, options_.model.t5.num_layers(), loaded.t5_shards);
    t5->unit_hooks = text_shards_.get();
    // the parameters now follow their shards to the device; this moves anything else they hold
    if (own_slices) dit_->to(options_.device);
    if (t5_own_slices) t5->to(options_.device);
  }
  if (from_checkpoint) {
    load_stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
    load_stats_.peak_rss_bytes = io::peak_rss_bytes();
    load_stats_.files = loaded.files;
    load_stats_.tensors = loaded.tensors_read;
    load_stats_.bytes_read = loaded.bytes_read;
    load_stats_.rank_slices = load_options.world_size > 1;
    load_stats_.largest_file_bytes = largest_file_under(options_.checkpoint_dir);
  }
}

int64_t Pipeline::shard_bytes() const {
  return (dit_shards_ ? dit_shards_->shard_bytes() : 0) + (text_shards_ ? text_shards_->shard_bytes() : 0);
}

namespace {

// Image: the aspect ratio is the image's (max area from --size); poses: the reference's frame clamp.
void apply_input_geometry(GeometryRequest& g, const GenerateInputs& in) {
  if (in.image.defined()) {
    g.image_height = in.image.size(0);
    g.image_width = in.image.size(1);
  }
  if (in.camera && g.frames >= 1 && (g.frames - 1) % 4 == 0) {  // a bad --frames keeps its own message
    const int64_t poses = in.camera->c2w.size(0);
    g.frames = frames_for_poses(g.frames, poses);
    const int64_t needed = (g.chunk_size - 1) * 4 + 1;
    ABLATE_USAGE_CHECK(g.frames >= needed, in.poses_path.empty() ? std::string("camera poses") : in.poses_path,
                       ": ", poses, " poses give a video of ", g.frames, " frames; one chunk of ", g.chunk_size,
                       " latent frames needs at least ", needed, " poses");
  }
}

}  // namespace

VideoGeometry geometry_with_inputs(const GenerateRequest& request) {
  GeometryRequest g = request.geometry;
  apply_input_geometry(g, request.inputs);
  return compute_geometry(g);
}

VideoGeometry Pipeline::geometry_for(const GenerateRequest& request) const {
  return geometry_for(request, load_inputs(request.inputs));
}

VideoGeometry Pipeline::geometry_for(const GenerateRequest& request, const GenerateInputs& loaded) const {
  GeometryRequest g = request.geometry;
  if (g.size.empty() && g.height == 0 && g.width == 0) g.size = options_.model.default_size;
  g.local_attn_size = options_.local_attn_size;
  g.sink_size = options_.sink_size;
  g.world_size = world_size();
  apply_input_geometry(g, loaded);
  return compute_geometry(g);
}

torch::Tensor Pipeline::synthetic_image(int64_t height, int64_t width, int64_t variant) const {
  // A smooth, deterministic test card at twice the video size (the reference resizes a large
  // JPEG down with bicubic interpolation on the CPU).
  const int64_t h = 2 * height, w = 2 * width;
  auto y = torch::linspace(-1.0, 1.0, h, torch::kFloat).view({h, 1}).expand({h, w});
  auto x = torch::linspace(-1.0, 1.0, w, torch::kFloat).view({1, w}).expand({h, w});
  auto r = 0.8 * torch::sin(3.1 * x + 1.7 * y);
  if (variant != 0) r = 0.8 * torch::sin(3.1 * x + 1.7 * y + 0.9 * static_cast<double>(variant));
  auto g = 0.7 * torch::cos(2.3 * x * y + 0.5);
  auto b = 0.9 * (0.5 * x - 0.4 * y) + 0.1 * torch::sin(12.0 * torch::sqrt(x * x + y * y));
  return torch::stack({r, g, b}).clamp(-1, 1);
}

torch::Tensor Pipeline::first_frame_condition(const torch::Tensor& image, const VideoGeometry& g) {
  namespace F = torch::nn::functional;
  // bicubic resize on the CPU: [1, 3, 2H, 2W] -> [3, 1, H, W], then [image, F-1 zero frames]
  auto frame = F::interpolate(image.unsqueeze(0), F::InterpolateFuncOptions()
                                                      .size(std::vector<int64_t>{g.height, g.width})
                                                      .mode(torch::kBicubic)
                                                      .align_corners(false))
                   .transpose(0, 1);
  auto video = torch::cat({frame, torch::zeros({3, g.frames - 1, g.height, g.width})}, 1).to(options_.device);
  if (!seams_.reuse_encoded_group && !seams_.encoder_stage_executor)
    return vae_->encode(video);  // [16, lat_f, lat_h, lat_w]
  ABLATE_NVTX_RANGE("vae_encode");
  vae::EncodeSession session(*vae_);
  if (seams_.reuse_encoded_group)
    session.set_group_reuse(seams_.reuse_encoded_group, /*repeating_from=*/1);  // pixel frames 1.. are zero
  if (seams_.encoder_stage_executor) session.set_stage_executor(seams_.encoder_stage_executor());
  return session.push(video);
}

// ---- Real inputs (image, camera path, actions); without them the synthetic defaults ----

GenerateInputs load_inputs(const GenerateInputs& in) {
  GenerateInputs out = in;
  if (!out.image.defined() && !out.image_path.empty()) out.image = io::read_image_rgb(out.image_path);
  if (out.image.defined())
    ABLATE_USAGE_CHECK(out.image.dim() == 3 && out.image.size(2) == 3 && out.image.scalar_type() == torch::kByte &&
                           out.image.size(0) > 0 && out.image.size(1) > 0,
                       "image", out.image_path.empty() ? "" : " " + out.image_path,
                       ": expected [H, W, 3] uint8 RGB, found ", out.image.sizes(), " ", out.image.scalar_type());
  if (!out.camera && (!out.poses_path.empty() || !out.intrinsics_path.empty())) {
    ABLATE_USAGE_CHECK(!out.poses_path.empty() && !out.intrinsics_path.empty(),
                       "camera files: --poses and --intrinsics go together; got poses '", out.poses_path,
                       "' and intrinsics '", out.intrinsics_path, "'");
    out.camera = io::read_camera_files(out.poses_path, out.intrinsics_path);
  }
  if (!out.action.defined() && !out.action_path.empty()) out.action = io::read_action_file(out.action_path);
  if (out.action.defined())
    out.action = io::action_rows(out.action, out.action_path.empty() ? "the action input" : out.action_path);
  return out;
}

torch::Tensor Pipeline::first_frame_image(const GenerateInputs& in, const VideoGeometry& g, int64_t variant) const {
  if (!in.image.defined()) return synthetic_image(g.height, g.width, variant);
  return io::image_to_unit_range(in.image);  // original pixels; first_frame_condition resizes
}

torch::Tensor Pipeline::control_conditioning(const GenerateInputs& in, const VideoGeometry& g, int64_t variant) const {
  CameraTrajectory trajectory = in.camera ? *in.camera : synthetic_trajectory(g.frames, variant);
  trajectory.c2w = trajectory.c2w.slice(0, 0, g.frames);  // c2ws[:F] with the trimmed F
  const int64_t control_dim = options_.model.dit.control_dim();
  const auto dtype = options_.precision.param;
  const std::string action_source = in.action_path.empty() ? "the action input" : in.action_path;
  if (control_dim == 6) {
    ABLATE_USAGE_CHECK(!in.action.defined(), action_source, ": actions need an action-mode DiT (control_dim 7, "
                       "'act'); preset ", options_.model.name, " is built for camera control (control_dim 6)");
    return camera_conditioning(trajectory, g.lat_f, g.lat_h, g.lat_w, g.height, g.width, options_.device, dtype);
  }
  ABLATE_USAGE_CHECK(control_dim == 7, "DiT control_dim ", control_dim, " is neither 6 (camera: rays_o, rays_d) "
                     "nor 7 (action: rays_d, W, A, S, D)");
  const auto action = in.action.defined() ? in.action : synthetic_action(g.frames);
  return action_conditioning(trajectory, subsample_action(action, g.frames, g.lat_f, action_source), g.lat_f,
                             g.lat_h, g.lat_w, g.height, g.width, options_.device, dtype);
}

dit::KvCaches Pipeline::kv_caches(const dit::KvCacheShape& shape) {
  const auto dtype = options_.precision.compute;
  if (!options_.keep_kv_caches) return dit::allocate_kv_caches(shape, dtype, options_.device);
  if (kept_caches_.self.empty() || !(kept_shape_ == shape)) {
    kept_caches_ = dit::KvCaches();  // release the old storage first
    kept_caches_ = dit::allocate_kv_caches(shape, dtype, options_.device);
    kept_shape_ = shape;
  } else {
    dit::zero_kv_caches(kept_caches_);
  }
  return kept_caches_;  // shallow: the same tensors
}

namespace {

// cuDNN's autotuner on for the VAE's convolutions only, the process's setting restored after.
class VaeBenchmarkScope {
 public:
  explicit VaeBenchmarkScope(bool on) : on_(on), before_(at::globalContext().benchmarkCuDNN()) {
    if (on_) at::globalContext().setBenchmarkCuDNN(true);
  }
  ~VaeBenchmarkScope() {
    if (on_) at::globalContext().setBenchmarkCuDNN(before_);
  }
  VaeBenchmarkScope(const VaeBenchmarkScope&) = delete;
  VaeBenchmarkScope& operator=(const VaeBenchmarkScope&) = delete;

 private:
  bool on_, before_;
};

}  // namespace

namespace generate_steps {

// The first-frame mask: ones for pixel frame 0 repeated 4x, zeros after, folded to
// [4, lat_f, lat_h, lat_w].
torch::Tensor first_frame_mask(const VideoGeometry& g, const torch::TensorOptions& f32) {
  auto msk = torch::ones({1, g.frames, g.lat_h, g.lat_w}, f32);
  msk.slice(1, 1).zero_();
  msk = torch::cat({torch::repeat_interleave(msk.slice(1, 0, 1), 4, 1), msk.slice(1, 1)}, 1);
  return msk.view({1, msk.size(1) / 4, 4, g.lat_h, g.lat_w}).transpose(1, 2)[0];
}

dit::KvCacheShape kv_cache_shape(const dit::DitOptions& dopt, const VideoGeometry& g, int64_t world) {
  dit::KvCacheShape shape;
  shape.num_layers = dopt.num_layers();
  shape.kv_size = g.kv_size;
  shape.heads = dopt.num_heads();
  shape.local_heads = dopt.num_heads() / world;
  shape.head_dim = dopt.dim() / dopt.num_heads();
  shape.text_len = dopt.text_len();
  return shape;
}

// A noise draw: from `source` when set (its shape and dtype checked, moved to the device),
// else from the generator as the reference draws it.
torch::Tensor draw_noise(const NoiseSource& source, const NoiseDraw& draw, at::Generator& gen,
                         const torch::TensorOptions& options) {
  if (!source) return torch::randn(draw.shape, gen, options);
  torch::Tensor t = source(draw);
  const std::string what = draw.chunk < 0 ? std::string("the initial noise")
                                          : "the re-noising draw after step " + std::to_string(draw.step) +
                                                " of chunk " + std::to_string(draw.chunk);
  ABLATE_USAGE_CHECK(t.defined() && t.sizes() == c10::IntArrayRef(draw.shape) && t.scalar_type() == torch::kFloat,
                     "noise source: expected ", what, " as ", c10::IntArrayRef(draw.shape), " float32, found ",
                     t.defined() ? c10::str(t.sizes(), " ", io::numpy_dtype_name(t.scalar_type())) : std::string("no tensor"));
  return t.to(options.device());
}

void observe(const TensorObserver& observer, const std::string& name, const torch::Tensor& value) {
  if (observer) observer(name, value);
}

// Request b's row of a batched tensor ([B, ...]), or the unbatched tensor itself.
torch::Tensor row_of(const torch::Tensor& t, int64_t b, bool batched) { return batched ? t[b] : t; }

// Each request's observer sees its own row of the tensor.
void observe_each(const std::vector<GenerateRequest>& requests, const std::string& name, const torch::Tensor& value,
                  bool batched) {
  for (size_t b = 0; b < requests.size(); ++b)
    observe(requests[b].observe, name, row_of(value, static_cast<int64_t>(b), batched));
}

// One noise draw of every request (`shape`: one request's), in request order, each from its own
// source or generator: the draws of its unbatched run; stacked [B, ...] for a batch.
torch::Tensor draw_noise_each(const std::vector<GenerateRequest>& requests, std::vector<at::Generator>& gens,
                              const NoiseDraw& draw, const torch::TensorOptions& options, bool batched) {
  if (!batched) return draw_noise(requests[0].noise, draw, gens[0], options);
  std::vector<torch::Tensor> draws;
  for (size_t b = 0; b < requests.size(); ++b) draws.push_back(draw_noise(requests[b].noise, draw, gens[b], options));
  return torch::stack(draws);
}

std::string step_name(const char* what, int64_t chunk, int64_t step) {
  return std::string(what) + "_c" + std::to_string(chunk) + "_s" + std::to_string(step);
}

using RunDit = std::function<torch::Tensor(const dit::DitInputs&, int64_t chunk, int64_t step, bool refresh)>;

// One DiT forward as generate() issues it: the site and its host metadata (forward hints), through
// the forward-execution seam when set, with the DiT's host reads and the forward counted in `out`.
RunDit forward_runner(const Seams& seams, dit::WanModel& dit, dit::KvCaches& caches, const VideoGeometry& g,
                      torch::Device dev, GenerateOutput& out) {
  return [&seams, &dit, &caches, &g, dev, &out](const dit::DitInputs& in, int64_t chunk, int64_t step, bool refresh) {
    ForwardSite site{out.dit_forwards, chunk, step, refresh, chunk * g.chunk_size * g.frame_seqlen, &g, dev};
    dit::ForwardArgs args;
    args.current_start = site.current_start;
    args.max_attention_size = g.kv_size;
    if (seams.forward_hints) seams.forward_hints(args, site);
    const HostReadStats before = host_read_stats();
    torch::Tensor v;
    if (seams.execute_forward) {
      ForwardCall call{site, in, args, caches, [&](const dit::DitInputs& inputs) { return dit->forward(inputs, caches, args); }};
      v = seams.execute_forward(call);
    } else {
      v = dit->forward(in, caches, args);
    }
    out.dit_host_reads = out.dit_host_reads + (host_read_stats() - before);
    ++out.dit_forwards;
    return v;
  };
}

// One chunk's denoising steps (x0 prediction, re-noising with each request's generator) and the
// cache-refresh forward at t = 0; returns the chunk's clean latent [16, chunk, lat_h, lat_w]
// ([B, 16, ...] for a batch: `in` batched, one generator per request, each drawing what it draws alone).
torch::Tensor denoise_chunk(dit::DitInputs& in, int64_t chunk, const FlowMatchSampler& sampler, bool host_lookups,
                            std::vector<at::Generator>& gens, const RunDit& run_dit,
                            std::vector<GenerateOutput>* step_latents, const std::vector<GenerateRequest>& requests) {
  const auto& timesteps = sampler.timesteps();
  const int64_t steps = static_cast<int64_t>(timesteps.size());
  const auto dev = in.x.device();
  const bool batched = in.batched();
  const auto batch = static_cast<int64_t>(gens.size());
  torch::Tensor x0;
  for (int64_t step = 0; step < steps; ++step) {
    ABLATE_NVTX_RANGE("step", step);
    const int64_t t = timesteps[step];
    in.t = (batched ? torch::tensor(std::vector<int64_t>(static_cast<size_t>(batch), t), torch::kLong)
                    : torch::tensor({t}, torch::kLong))
               .to(dev);
    auto v = run_dit(in, chunk, step, false);
    observe_each(requests, step_name("dit_output", chunk, step), v, batched);
    const auto& tables = sampler.tables();
    const double sigma = tables.sigmas[first_match_index(tables, t)];
    x0 = sampler.to_x0(v, in.x, t, host_lookups ? &sigma : nullptr);  // elementwise: per request as alone
    if (step_latents)
      for (int64_t b = 0; b < batch; ++b) (*step_latents)[b].step_latents.push_back(row_of(x0, b, batched));
    observe_each(requests, step_name("x0", chunk, step), x0, batched);
    if (step + 1 < steps) {
      const int64_t next = timesteps[step + 1];
      const float next_sigma = tables.sigmas[second_match_index(tables, next)];
      const auto eps = draw_noise_each(requests, gens, NoiseDraw{chunk, step, row_of(x0, 0, batched).sizes().vec()},
                                       x0.options(), batched);
      observe_each(requests, step_name("noise", chunk, step), eps, batched);
      in.x = sampler.add_noise(x0, eps, next, host_lookups ? &next_sigma : nullptr);
    }
  }
  // cache refresh: the clean chunk at t = 0 rewrites this chunk's KV slot; output unused
  ABLATE_NVTX_RANGE("refresh", steps);
  in.x = x0;
  in.t = torch::zeros({batched ? batch : 1}, torch::TensorOptions().dtype(torch::kFloat).device(dev));
  run_dit(in, chunk, steps, true);
  return x0;
}

// The decode at the end of generate() (no per-chunk schedule): across every rank through the
// seam (the video lands on rank 0), else on rank 0 only as the reference, optionally one decoder
// step at a time through the step executor. Returns the video [3, F, H, W] (rank 0) or undefined.
torch::Tensor decode_at_end(vae::WanVae& vae, const Seams& seams, const torch::Tensor& latents, bool decode_here,
                            PhaseHooks* hooks) {
  if (!seams.decode_video && !decode_here) return torch::Tensor();
  PhaseScope phase(hooks, Phase::kVaeDecode);
  VaeBenchmarkScope benchmark(seams.vae_cudnn_benchmark);
  if (seams.decode_video) {
    ABLATE_NVTX_RANGE("vae_decode");
    auto video = seams.decode_video(*vae, latents);
    return decode_here ? video : torch::Tensor();
  }
  if (seams.decode_step) {
    ABLATE_NVTX_RANGE("vae_decode");
    vae::DecodeSession session(*vae);  // what decode() runs, each step through the executor
    session.set_step_executor(seams.decode_step);
    return session.push(latents);
  }
  return vae->decode(latents);
}

// The per-chunk decode schedule: one decode session whose feature cache runs across the chunks,
// optionally on a side stream so that a chunk's decode overlaps the next chunk's DiT, and
// optionally issued from its own host thread (then only the worker touches the session).
class ChunkDecoder {
 public:
  ChunkDecoder(vae::WanVae& vae, const Seams& seams, const VideoGeometry& g, torch::Device dev)
      : seams_(seams),
        session_(*vae, nullptr, g.lat_f),  // one-shot shapes
        stream_(make_side_stream(seams.decode_side_stream ? dev : torch::Device(torch::kCPU),
                                 seams.decode_own_thread ? SideStreamHost::kOwnThread : SideStreamHost::kCaller)) {
    session_.set_step_executor(seams.decode_step);
  }

  // x0: [16, chunk frames, lat_h, lat_w]
  void push(const torch::Tensor& x0, int64_t chunk, PhaseHooks* hooks) {
    stream_->run([this, x0, chunk, hooks] {
      {
        ABLATE_NVTX_RANGE("vae_decode", chunk);
        PhaseScope phase(hooks, Phase::kVaeDecode, chunk);  // events on the stream that decodes
        VaeBenchmarkScope benchmark(seams_.vae_cudnn_benchmark);
        chunks_.push_back(session_.push(x0));
      }
      if (seams_.on_chunk_decoded) seams_.on_chunk_decoded(chunk, chunks_.back());
    });
  }

  // -> [3, F, H, W]
  torch::Tensor finish(PhaseHooks* hooks) {
    PhaseScope phase(hooks, Phase::kVaeDecode);  // what is left after the last chunk: join + concat
    stream_->drain();
    stream_->join(chunks_);
    return torch::cat(chunks_, 1);
  }

 private:
  const Seams& seams_;
  vae::DecodeSession session_;
  std::vector<torch::Tensor> chunks_;  // written by the decode's thread until finish() drains it
  std::unique_ptr<SideStream> stream_;  // last: its thread stops (after its queued work) first
};

}  // namespace generate_steps

GenerateOutput Pipeline::generate(const GenerateRequest& request, PhaseHooks* hooks) {
  return std::move(generate_batch({request}, hooks).front());
}

namespace generate_steps {

// The batch's geometry: every request's must equal request 0's (one DiT forward holds them all).
VideoGeometry batch_geometry(const std::vector<VideoGeometry>& geometries) {
  const VideoGeometry& g = geometries.front();
  for (size_t k = 1; k < geometries.size(); ++k)
    ABLATE_USAGE_CHECK(geometries[k].describe() == g.describe(), "batched requests share one geometry: request ", k,
                       " has ", geometries[k].describe(), ", request 0 has ", g.describe());
  return g;
}

// One request's text context zero-padded to text_len as the DiT pads it: [text_len, text_dim].
torch::Tensor padded_context(const torch::Tensor& context, int64_t text_len) {
  ABLATE_USAGE_CHECK(context.size(0) <= text_len, "prompt: ", context.size(0), " tokens exceed the DiT's text_len ",
                     text_len);
  return torch::cat({context, context.new_zeros({text_len - context.size(0), context.size(1)})});
}

}  // namespace generate_steps

// What the DiT's forwards of a batch take: every request's noise, first-frame condition, control
// input and text context, stacked (one request: its own unbatched tensors), with its generator.
struct Pipeline::BatchConditions {
  std::vector<at::Generator> gens;  // per request, seeded with its seed
  torch::Tensor noise;              // [16, lat_f, lat_h, lat_w] ([B, 16, ...] for a batch)
  torch::Tensor y;                  // [20, lat_f, lat_h, lat_w] ([B, 20, ...])
  torch::Tensor plucker;            // [1, control_dim*64, lat_f, lat_h, lat_w] ([B, ...])
  torch::Tensor context;            // [len, text_dim] ([B, text_len, text_dim] zero-padded)
};

Pipeline::BatchConditions Pipeline::condition_batch(const std::vector<GenerateRequest>& requests,
                                                    const std::vector<GenerateInputs>& inputs, const VideoGeometry& g,
                                                    PhaseHooks* hooks) {
  using namespace generate_steps;
  const auto batch = static_cast<int64_t>(requests.size());
  const auto dev = options_.device;
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat).device(dev);
  std::vector<torch::Tensor> images;
  for (int64_t b = 0; b < batch; ++b) images.push_back(first_frame_image(inputs[b], g, requests[b].variant));

  // every rank draws the same noise: as the reference, rank 0's seeds are broadcast once per process
  // (the first generate()); every rank is given the same requests after that
  std::vector<int64_t> seeds;
  for (const auto& r : requests) seeds.push_back(static_cast<int64_t>(r.seed));
  if (world_size() > 1 && !seed_broadcast_) {
    auto t = torch::tensor(seeds, torch::kLong).to(dev);
    options_.comm->broadcast(t, 0);
    auto host = t.cpu();
    for (int64_t b = 0; b < batch; ++b) seeds[b] = host[b].item<int64_t>();
    seed_broadcast_ = true;
  }
  // each request its own generator and noise (or its noise source), drawn in request order
  BatchConditions c;
  for (int64_t b = 0; b < batch; ++b) c.gens.push_back(make_generator(dev, static_cast<uint64_t>(seeds[b])));
  c.noise = draw_noise_each(requests, c.gens, NoiseDraw{-1, -1, {16, g.lat_f, g.lat_h, g.lat_w}}, f32, batch > 1);
  observe_each(requests, "noise_initial", c.noise, batch > 1);
  std::vector<torch::Tensor> contexts, pluckers, ys;
  const auto msk = first_frame_mask(g, f32);
  {
    PhaseScope phase(hooks, Phase::kTextEncode);
    for (const auto& r : requests)
      contexts.push_back(seams_.embed_text ? seams_.embed_text(*text_encoder_, r.prompt) : text_encoder_->encode(r.prompt));
  }
  for (int64_t b = 0; b < batch; ++b) observe(requests[b].observe, "text_embedding", contexts[b]);
  for (int64_t b = 0; b < batch; ++b) {
    pluckers.push_back(control_conditioning(inputs[b], g, requests[b].variant));
    observe(requests[b].observe, "control", pluckers.back());
  }
  {
    PhaseScope phase(hooks, Phase::kVaeEncode);
    VaeBenchmarkScope benchmark(seams_.vae_cudnn_benchmark);
    for (int64_t b = 0; b < batch; ++b) {
      auto encode = [&] { return first_frame_condition(images[b], g); };  // [16, lat_f, lat_h, lat_w]
      const auto latent = seams_.encode_first_frame ? seams_.encode_first_frame(images[b], g, encode) : encode();
      observe(requests[b].observe, "first_frame_latent", latent);
      ys.push_back(torch::cat({msk, latent}, 0));
    }
  }
  if (batch == 1) {  // one request runs its unbatched tensors, exactly as always
    c.y = ys[0];
    c.plucker = pluckers[0];
    c.context = contexts[0];
    return c;
  }
  std::vector<torch::Tensor> padded;
  for (const auto& context : contexts) padded.push_back(padded_context(context, options_.model.dit.text_len()));
  c.y = torch::stack(ys);
  c.plucker = torch::cat(pluckers, 0);
  c.context = torch::stack(padded);
  return c;
}

std::vector<GenerateOutput> Pipeline::generate_batch(const std::vector<GenerateRequest>& requests, PhaseHooks* hooks) {
  using namespace generate_steps;
  torch::NoGradGuard no_grad;
  ABLATE_USAGE_CHECK(!requests.empty(), "generate_batch: expected at least one request, got none");
  const HostReadStats reads_before = host_read_stats();
  const auto batch = static_cast<int64_t>(requests.size());
  const bool batched = batch > 1;
  std::vector<GenerateOutput> outs(requests.size());
  std::vector<GenerateInputs> inputs;
  std::vector<VideoGeometry> geometries;
  for (const auto& r : requests) {
    inputs.push_back(load_inputs(r.inputs));
    geometries.push_back(geometry_for(r, inputs.back()));
  }
  const VideoGeometry g = batch_geometry(geometries);
  for (auto& o : outs) o.geometry = g;
  const auto dev = options_.device;

  PhaseScope whole(hooks, Phase::kGenerate);
  ABLATE_NVTX_RANGE("generate");  // inside the phase scope: a capture window opened by a hook holds all of it
  BatchConditions c = condition_batch(requests, inputs, g, hooks);
  auto cache_shape = kv_cache_shape(options_.model.dit, g, world_size());
  cache_shape.batch = batch;
  auto caches = kv_caches(cache_shape);

  GenerateOutput forwards;  // the batch's DiT forwards and their host reads (each request's output gets them)
  const RunDit run_dit = forward_runner(seams_, dit_, caches, g, dev, forwards);

  // VAE decode schedule (rank 0 only, as the reference): at the end, or per chunk; per request
  const bool decode_here = rank() == 0;
  std::vector<std::unique_ptr<ChunkDecoder>> chunk_decoders;
  if (decode_here && seams_.decode_schedule == DecodeSchedule::kPerChunk)
    for (int64_t b = 0; b < batch; ++b) chunk_decoders.push_back(std::make_unique<ChunkDecoder>(vae_, seams_, g, dev));

  const int64_t frame_dim = batched ? 2 : 1;
  const auto latent_chunks = c.noise.split(g.chunk_size, frame_dim);
  const auto condition_chunks = c.y.split(g.chunk_size, frame_dim);
  const auto plucker_chunks = c.plucker.split(g.chunk_size, 2);
  std::vector<std::vector<torch::Tensor>> denoised(requests.size());
  const bool keep_steps = requests.front().keep_step_latents;
  for (int64_t chunk = 0; chunk < g.num_chunks; ++chunk) {
    {
      PhaseScope chunk_phase(hooks, Phase::kChunk, chunk);
      ABLATE_NVTX_RANGE("chunk", chunk);
      dit::DitInputs in;
      in.x = latent_chunks[chunk];
      in.context = c.context;
      in.y = condition_chunks[chunk];
      in.plucker = plucker_chunks[chunk];
      const auto x0 = denoise_chunk(in, chunk, sampler_, seams_.sampler_host_lookups, c.gens, run_dit,
                                    keep_steps ? &outs : nullptr, requests);
      for (int64_t b = 0; b < batch; ++b) denoised[b].push_back(row_of(x0, b, batched));
    }
    // after the refresh was issued, so that on a side stream it overlaps the next chunk
    for (size_t b = 0; b < chunk_decoders.size(); ++b) chunk_decoders[b]->push(denoised[b].back(), chunk, hooks);
  }
  for (int64_t b = 0; b < batch; ++b) {
    auto& out = outs[b];
    out.latents = torch::cat(denoised[b], 1);
    out.video = chunk_decoders.empty() ? decode_at_end(vae_, seams_, out.latents, decode_here, hooks)
                                       : chunk_decoders[b]->finish(hooks);
    observe(requests[b].observe, "latents", out.latents);
    if (out.video.defined()) observe(requests[b].observe, "video", out.video);
  }
  if (world_size() > 1) options_.comm->barrier();  // the reference ends generate() with one (rank 0 decoded)
  const HostReadStats reads = host_read_stats() - reads_before;
  for (auto& out : outs) {
    out.host_reads = reads;
    out.dit_host_reads = forwards.dit_host_reads;
    out.dit_forwards = forwards.dit_forwards;
  }
  return outs;
}

}  // namespace ablate
