#include "core/memory_estimate.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.h"

#if defined(ABLATE_CUDA)
namespace ablate {
int64_t cuda_free_bytes(int device_index);  // cuda_device_cuda.cpp
}
#endif

namespace ablate {

namespace memory_estimate_detail {

// Calibration (reports/memory-preflight.md): live bytes of each working set in units of one
// full-resolution VAE feature map of one frame, [dim, H, W] float32 (a step holds 4 such frames
// per stage, feature caches 2 per causal conv).
// Fitted to the H100/H200 peaks at 464x832 (1.3b and 14b, worlds 1, 2 and 4).
constexpr double kVaeDecodeMaps = 55.0;  // decode: upsampling stages, feature caches, the block outputs
constexpr double kVaeEncodeMaps = 45.0;  // encode of the conditioning video (image + zeros)
// The CPU's convolutions unfold their input (vol2col: 27 columns per input value), so the same
// steps hold about 3.8x as much; fitted to tiny's RSS growth at 64x64 and 256x256.
constexpr double kVaeDecodeMapsCpu = 209.0;
constexpr double kVaeEncodeMapsCpu = 171.0;
// CPU: what the first generate() adds besides tensors (thread pools, oneDNN primitives).
constexpr int64_t kCpuRuntimeBytes = int64_t(29) << 20;
// DiT forward: live activations as multiples of [tokens_per_chunk, dim + ffn_dim] float32
// (the float32 residual stream, modulation, QKV/FFN GEMM outputs, Ulysses' all-to-all buffers).
constexpr double kDitActivationRows = 6.0;
// Text encoder forward: multiples of [text_len, dim + dim_ffn] float32.
constexpr double kT5ActivationRows = 8.0;
// Host: what the process holds besides the model (LibTorch, CUDA context, allocator arenas).
constexpr int64_t kHostBaseCpu = int64_t(400) << 20;
constexpr int64_t kHostBaseCuda = int64_t(2) << 30;
// A memory-mapped checkpoint's pages while loading, per the largest file (issue 19's bound).
constexpr double kCheckpointLoadFactor = 1.2;

int64_t linear_params(int64_t in, int64_t out, bool bias = true) { return in * out + (bias ? out : 0); }

// The VAE's modules (core/vae/*): convolutions with bias, RMS norms without.
int64_t conv_params(int64_t in, int64_t out, int64_t kernel_volume) { return in * out * kernel_volume + out; }
int64_t residual_params(int64_t in, int64_t out) {
  return in + conv_params(in, out, 27) + out + conv_params(out, out, 27) + (in != out ? conv_params(in, out, 1) : 0);
}
int64_t attention_params(int64_t c) { return c + conv_params(c, 3 * c, 1) + conv_params(c, c, 1); }
int64_t resample_params(int64_t dim, bool up, bool temporal) {
  if (up) return conv_params(dim, dim / 2, 9) + (temporal ? conv_params(dim, 2 * dim, 3) : 0);
  return conv_params(dim, dim, 9) + (temporal ? conv_params(dim, dim, 3) : 0);
}

void sort_items(std::vector<MemoryItem>& items, int64_t& total) {
  items.erase(std::remove_if(items.begin(), items.end(), [](const MemoryItem& i) { return i.bytes <= 0; }),
              items.end());
  std::stable_sort(items.begin(), items.end(), [](const MemoryItem& a, const MemoryItem& b) { return a.bytes > b.bytes; });
  total = 0;
  for (const auto& i : items) total += i.bytes;
}

std::string summary(int64_t total, const std::vector<MemoryItem>& items, size_t top) {
  std::ostringstream s;
  const double unit = total >= (int64_t(1) << 30) ? 1024.0 * 1024.0 * 1024.0 : 1024.0 * 1024.0;  // items as the total
  s << gib_text(total) << " (";
  for (size_t i = 0; i < items.size() && i < top; ++i) {
    char num[32];
    std::snprintf(num, sizeof(num), "%.1f", static_cast<double>(items[i].bytes) / unit);
    s << (i ? ", " : "") << items[i].name << " " << num;
  }
  s << ")";
  return s.str();
}

// Weights one rank holds (resident) for a network of `total` parameters in units (root + blocks).
struct ShardedBytes {
  int64_t resident = 0;   // between the network's forwards
  int64_t transient = 0;  // on top while a forward runs (gathered blocks)
};

ShardedBytes sharded_bytes(int64_t root, int64_t block, int64_t blocks, int64_t elem, int64_t world,
                           dist::Residency residency, int64_t in_flight) {
  const int64_t total = (root + block * blocks) * elem;
  if (world <= 1) return {total, 0};
  const int64_t shards = (root + block * blocks + world - 1) / world * elem;
  switch (residency) {
    case dist::Residency::kFullShard:  // FSDP1 gathers the root once and keeps it; blocks come and go
      return {shards + root * elem, block * elem * in_flight};
    case dist::Residency::kKeepGathered:  // every unit stays gathered after its first use
      return {shards + total, 0};
    case dist::Residency::kReplicated:
      return {total, 0};
  }
  return {total, 0};
}

int64_t read_meminfo_available() {
  std::ifstream f("/proc/meminfo");
  std::string key;
  int64_t kb = 0;
  std::string unit;
  while (f >> key >> kb) {
    std::getline(f, unit);
    if (key == "MemAvailable:") return kb * 1024;
  }
  return 0;
}

int64_t read_status_kb(const std::string& field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field + ":", 0) == 0) return std::atoll(line.c_str() + field.size() + 1) * 1024;
  return 0;
}

}  // namespace memory_estimate_detail

using namespace memory_estimate_detail;

std::string gib_text(int64_t bytes) {
  char text[32];
  if (bytes < (int64_t(1) << 30) && bytes > -(int64_t(1) << 30))
    std::snprintf(text, sizeof(text), "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  else
    std::snprintf(text, sizeof(text), "%.1f GiB", static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0));
  return text;
}

std::string MemoryEstimate::device_summary(size_t top) const { return summary(device_bytes, device, top); }
std::string MemoryEstimate::host_summary(size_t top) const { return summary(host_bytes, host, top); }

int64_t dit_root_parameter_count(const dit::DitOptions& o) {
  const int64_t d = o.dim(), p = o.patch_size()[0] * o.patch_size()[1] * o.patch_size()[2];
  return o.in_dim() * p * d + d                                                 // patch_embedding (Conv3d)
         + linear_params(o.control_dim() * 64 * p, d) + 2 * linear_params(d, d)  // camera embedding
         + linear_params(o.text_dim(), d) + linear_params(d, d)                 // text_embedding
         + linear_params(o.freq_dim(), d) + linear_params(d, d)                 // time_embedding
         + linear_params(d, 6 * d)                                              // time_projection
         + linear_params(d, p * o.out_dim()) + 2 * d;                           // head + its modulation
}

int64_t dit_block_parameter_count(const dit::DitOptions& o) {
  const int64_t d = o.dim();
  const int64_t attention = 4 * linear_params(d, d) + 2 * d;  // q, k, v, o + RMS norms of q and k
  return 2 * attention + 2 * d                                 // self, cross; norm3 (affine)
         + linear_params(d, o.ffn_dim()) + linear_params(o.ffn_dim(), d) + 6 * d  // ffn, modulation
         + 4 * linear_params(d, d);                            // camera injector, scale, shift
}

int64_t dit_parameter_count(const dit::DitOptions& o) {
  return dit_root_parameter_count(o) + o.num_layers() * dit_block_parameter_count(o);
}

int64_t t5_block_parameter_count(const text::T5EncoderOptions& o) {
  return 2 * o.dim() + 4 * o.dim() * o.dim_attn() + 3 * o.dim() * o.dim_ffn() + o.num_buckets() * o.num_heads();
}

int64_t t5_parameter_count(const text::T5EncoderOptions& o) {
  return o.vocab_size() * o.dim() + o.dim() + o.num_layers() * t5_block_parameter_count(o);
}

int64_t vae_encode_group_stage_bytes(const vae::WanVaeOptions& o, int64_t height, int64_t width,
                                     int64_t element_bytes) {
  // walks Encoder3d's stages: conv1, the residual blocks and resamples, middle (3), head
  const auto& mult = o.dim_mult();
  const auto& down = o.temporal_downsample();
  int64_t t = 4, h = height, w = width, c = o.dim();
  int64_t elements = c * t * h * w;  // conv1
  for (size_t i = 0; i < mult.size(); ++i) {
    c = o.dim() * mult[i];
    elements += o.num_res_blocks() * c * t * h * w;
    if (i + 1 == mult.size()) break;
    h /= 2;
    w /= 2;
    if (down[i]) t /= 2;  // the cached frame + t frames, stride 2: t / 2 frames out
    elements += c * t * h * w;
  }
  elements += 3 * c * t * h * w + 2 * o.z_dim() * t * h * w;  // middle.0-2, head
  return elements * element_bytes;
}

int64_t vae_parameter_count(const vae::WanVaeOptions& o) {
  const auto& mult = o.dim_mult();
  const auto& down = o.temporal_downsample();
  const int64_t z = o.z_dim(), blocks = o.num_res_blocks();
  // encoder (z_dim * 2 outputs: mean and log-variance)
  std::vector<int64_t> dims{o.dim()};
  for (int64_t u : mult) dims.push_back(o.dim() * u);
  int64_t n = conv_params(3, dims[0], 27);
  for (size_t i = 0; i + 1 < dims.size(); ++i) {
    int64_t in = dims[i];
    for (int64_t r = 0; r < blocks; ++r, in = dims[i + 1]) n += residual_params(in, dims[i + 1]);
    if (i + 1 != mult.size()) n += resample_params(dims[i + 1], false, down[i]);
  }
  n += 2 * residual_params(dims.back(), dims.back()) + attention_params(dims.back());
  n += dims.back() + conv_params(dims.back(), 2 * z, 27);
  n += conv_params(2 * z, 2 * z, 1) + conv_params(z, z, 1);
  // decoder (the reversed stages; a resample halves the channels the next stage receives)
  std::vector<int64_t> up{o.dim() * mult.back()};
  for (auto it = mult.rbegin(); it != mult.rend(); ++it) up.push_back(o.dim() * *it);
  n += conv_params(z, up[0], 27) + 2 * residual_params(up[0], up[0]) + attention_params(up[0]);
  for (size_t i = 0; i + 1 < up.size(); ++i) {
    int64_t in = (i >= 1 && i <= 3) ? up[i] / 2 : up[i];
    for (int64_t r = 0; r < blocks + 1; ++r, in = up[i + 1]) n += residual_params(in, up[i + 1]);
    if (i + 1 != mult.size()) n += resample_params(up[i + 1], true, down[down.size() - 1 - i]);
  }
  n += up.back() + conv_params(up.back(), 3, 27);
  return n;
}

int64_t dit_activation_bytes(const MemoryEstimateRequest& r) {
  return static_cast<int64_t>(kDitActivationRows * r.geometry.padded_tokens_per_chunk *
                              (r.model.dit.dim() + r.model.dit.ffn_dim()) * 4);
}

MemoryEstimate estimate_memory(const MemoryEstimateRequest& r) {
  const auto& g = r.geometry;
  const auto& m = r.model;
  const int64_t world = std::max<int64_t>(1, g.world_size);
  const int64_t in_flight = r.prefetch_gathers ? 2 : 1;
  const auto dit = sharded_bytes(dit_root_parameter_count(m.dit), dit_block_parameter_count(m.dit),
                                 m.dit.num_layers(), r.weight_bytes, world, r.residency, in_flight);
  const int64_t t5_root = t5_parameter_count(m.t5) - m.t5.num_layers() * t5_block_parameter_count(m.t5);
  auto t5 = sharded_bytes(t5_root, t5_block_parameter_count(m.t5), m.t5.num_layers(), r.weight_bytes, world,
                          r.residency, 1);
  const int64_t t5_full = t5_parameter_count(m.t5) * r.weight_bytes;
  const int64_t vae = vae_parameter_count(m.vae) * 4;  // the VAE runs in float32
  // KV caches: every layer keeps kv_size tokens of its local heads (Ulysses: heads / world), k and v;
  // the cross-attention cache keeps the text context's k and v for all heads.
  const int64_t batch = std::max<int64_t>(1, r.batch);
  const int64_t kv = batch * m.dit.num_layers() * g.kv_size * 2 * (m.dit.dim() / world) * r.compute_bytes;
  const int64_t cross_kv = batch * m.dit.num_layers() * m.dit.text_len() * 2 * m.dit.dim() * r.compute_bytes;
  const double map = static_cast<double>(m.vae.dim()) * g.height * g.width * 4;  // [dim, H, W] float32
  const int64_t video = 3 * g.frames * g.height * g.width * 4;                       // [3, F, H, W] f32
  const int64_t vae_encode = static_cast<int64_t>((r.cuda ? kVaeEncodeMaps : kVaeEncodeMapsCpu) * map) + video;
  const int64_t vae_decode =
      static_cast<int64_t>((r.cuda ? kVaeDecodeMaps : kVaeDecodeMapsCpu) * map) + 2 * video;  // frames + their cat
  const int64_t dit_act = batch * dit_activation_bytes(r);
  const int64_t t5_act = static_cast<int64_t>(kT5ActivationRows * m.t5.text_len() * (m.t5.dim() + m.t5.dim_ffn()) * 4);

  const int64_t t5_resident = r.offload_text_encoder ? 0 : t5.resident;
  std::vector<MemoryItem> resident{{"dit weights", dit.resident}, {"text encoder", t5_resident},
                                   {"vae weights", vae}, {r.extra_label, r.extra_device_bytes},
                                   {"cpu runtime", r.cuda ? 0 : kCpuRuntimeBytes}};
  auto phase = [&](std::vector<MemoryItem> extra) {
    std::vector<MemoryItem> items = resident;
    items.insert(items.end(), extra.begin(), extra.end());
    return items;
  };
  struct Phase {
    std::string name;
    std::vector<MemoryItem> items;
  };
  const int64_t kept_kv = r.keep_kv_caches ? kv + cross_kv : 0;
  std::vector<Phase> phases{
      {"text_encode", phase({{"text encoder (gathered)", (r.offload_text_encoder ? t5_full : t5.transient)},
                             {"text activations", t5_act}, {"kv cache", kept_kv}})},
      {"vae_encode", phase({{"vae encode", vae_encode}, {"kv cache", kept_kv},
                            {r.vae_encode_extra_label, r.vae_encode_extra_bytes}})},
      {"dit", phase({{"kv cache", kv + cross_kv}, {"dit activations", dit_act}, {"dit gathered blocks", dit.transient}})}};
  if (r.rank == 0)
    phases.push_back({"vae_decode", phase({{"kv cache", kv + cross_kv}, {"vae decode", vae_decode},
                                           {"earlier requests' videos", (batch - 1) * video}})});

  MemoryEstimate e;
  e.cuda = r.cuda;
  int64_t best = -1;
  for (auto& p : phases) {
    int64_t total = 0;
    sort_items(p.items, total);
    if (total > best) {
      best = total;
      e.peak_phase = p.name;
      e.device = p.items;
    }
  }
  e.device_bytes = best;
  std::vector<MemoryItem> host;
  host.push_back({"process", r.cuda ? kHostBaseCuda : kHostBaseCpu});
  if (r.checkpoint_largest_file > 0)
    host.push_back({"checkpoint (mapped)", static_cast<int64_t>(kCheckpointLoadFactor * r.checkpoint_largest_file)});
  if (r.cuda && r.offload_text_encoder) host.push_back({"text encoder (pinned)", t5_full});
  if (!r.cuda) {  // the CPU's "device" is host memory
    host.insert(host.end(), e.device.begin(), e.device.end());
    e.device.clear();
    e.device_bytes = 0;
  }
  sort_items(host, e.host_bytes);
  e.host = host;
  return e;
}

AvailableMemory available_memory(torch::Device device) {
  AvailableMemory a;
  if (const char* fake = std::getenv("ABLATE_FAKE_AVAILABLE_BYTES")) {
    a.device_bytes = a.host_bytes = std::atoll(fake);
    a.source = "ABLATE_FAKE_AVAILABLE_BYTES";
    return a;
  }
  a.host_bytes = read_meminfo_available();
  a.source = "MemAvailable";
#if defined(ABLATE_CUDA)
  if (device.is_cuda()) {
    a.device_bytes = cuda_free_bytes(device.has_index() ? device.index() : 0);
    a.source = "cudaMemGetInfo free, MemAvailable";
  }
#endif
  (void)device;
  return a;
}

void check_memory_fits(const MemoryEstimate& e, const AvailableMemory& a, const std::string& what) {
  if (e.cuda)
    ABLATE_USAGE_CHECK(e.device_bytes <= a.device_bytes, "memory preflight: ", what, " needs about ",
                       e.device_summary(), " of device memory at its peak (", e.peak_phase, ") but ",
                       gib_text(a.device_bytes), " is free (", a.source,
                       "); use more ranks, --shard full, --offload-text-encoder or a smaller --size/--frames, "
                       "or --no-preflight to run anyway");
  ABLATE_USAGE_CHECK(e.host_bytes <= a.host_bytes, "memory preflight: ", what, " needs about ", e.host_summary(),
                     " of host memory", e.cuda ? std::string() : " at its peak (" + e.peak_phase + ")", " but ",
                     gib_text(a.host_bytes), " is available (", a.source,
                     "); use a smaller preset, --size or --frames, or --no-preflight to run anyway");
}

int64_t process_rss_bytes() { return read_status_kb("VmRSS"); }
int64_t process_peak_rss_bytes() { return read_status_kb("VmHWM"); }

}  // namespace ablate
