// The memory preflight's mechanism: an estimate of one rank's peak device and host memory for a
// generate() (weights per network, dtype and residency, the DiT's KV caches and activations, the
// VAE's encode/decode working sets, bytes strategies report), the memory available, and the check.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/dist/param_shards.h"
#include "core/geometry.h"

namespace ablate {

struct MemoryEstimateRequest {
  ModelConfig model;
  VideoGeometry geometry;                  // its world_size is the world the estimate is for
  bool cuda = false;                       // false: everything is host memory (one total)
  int64_t weight_bytes = 4;                // element size of the DiT and text-encoder weights (bf16: 2)
  int64_t compute_bytes = 4;               // element size of the KV caches and DiT GEMM activations
  dist::Residency residency = dist::Residency::kFullShard;  // world > 1 only
  bool prefetch_gathers = false;           // one more gathered DiT block in flight (FULL_SHARD)
  bool offload_text_encoder = false;       // text-encoder weights on the host between encodes
  bool keep_kv_caches = false;             // KV caches live through the VAE encode too
  int64_t rank = 0;                        // rank 0 decodes the video
  // requests in one generate(): KV caches and DiT activations are per request; the VAE encodes and
  // decodes one request at a time while the earlier requests' videos are kept
  int64_t batch = 1;
  int64_t checkpoint_largest_file = 0;     // bytes of the largest checkpoint file (memory-mapped) or 0
  int64_t extra_device_bytes = 0;          // what strategies keep on top (e.g. CUDA-graph pools)
  std::string extra_label = "strategies";  // how the breakdown names extra_device_bytes
  int64_t vae_encode_extra_bytes = 0;      // what strategies keep during the encode only
  std::string vae_encode_extra_label = "encode strategies";
};

struct MemoryItem {
  std::string name;
  int64_t bytes = 0;
};

struct MemoryEstimate {
  std::string peak_phase;            // text_encode | vae_encode | dit | vae_decode: where the peak is
  std::vector<MemoryItem> device;    // the peak phase's items, largest first; sum = device_bytes
  int64_t device_bytes = 0;          // CPU runs: 0 (everything is in host_bytes)
  std::vector<MemoryItem> host;      // largest first; sum = host_bytes
  int64_t host_bytes = 0;
  bool cuda = false;

  // "27.9 GiB (vae decode 8.3, text encoder 10.6, kv cache 5.4)": the total and the top items
  // (in MiB when the total is below 1 GiB).
  std::string device_summary(size_t top = 3) const;
  std::string host_summary(size_t top = 3) const;
};

// Parameter counts from the shapes (tests check them against the built modules).
int64_t dit_root_parameter_count(const dit::DitOptions& o);   // everything outside the blocks
int64_t dit_block_parameter_count(const dit::DitOptions& o);  // one block
int64_t dit_parameter_count(const dit::DitOptions& o);
int64_t t5_parameter_count(const text::T5EncoderOptions& o);
int64_t t5_block_parameter_count(const text::T5EncoderOptions& o);
int64_t vae_parameter_count(const vae::WanVaeOptions& o);
// Bytes of the encoder's stage outputs for one group of 4 frames at height x width (elements of
// element_bytes): what an encoder stage executor keeps when it holds the previous group's outputs.
int64_t vae_encode_group_stage_bytes(const vae::WanVaeOptions& o, int64_t height, int64_t width,
                                     int64_t element_bytes);

MemoryEstimate estimate_memory(const MemoryEstimateRequest& request);
// One DiT forward's live activations on a rank (what a captured forward's memory pool holds, about).
int64_t dit_activation_bytes(const MemoryEstimateRequest& request);

struct AvailableMemory {
  int64_t device_bytes = 0;  // cudaMemGetInfo's free bytes (CUDA), else 0
  int64_t host_bytes = 0;    // /proc/meminfo MemAvailable
  std::string source;        // where the numbers came from, for messages
};

// The memory free now. ABLATE_FAKE_AVAILABLE_BYTES=N (a test hook) replaces both numbers with N.
AvailableMemory available_memory(torch::Device device);

// Throws UsageError (exit 2) with one line: the estimate, its top items and the memory available,
// when the estimate exceeds it; `what` names the run ("generate 14b world 1"). --no-preflight skips.
void check_memory_fits(const MemoryEstimate& estimate, const AvailableMemory& available, const std::string& what);

// "12.3 GiB" (one decimal; "12.3 MiB" below 1 GiB).
std::string gib_text(int64_t bytes);

// The process's resident set now and its high-water mark (/proc/self/status VmRSS, VmHWM), bytes.
int64_t process_rss_bytes();
int64_t process_peak_rss_bytes();

}  // namespace ablate
