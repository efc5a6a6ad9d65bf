// The one counted way the generator reads a device value on the host. On CUDA each read is a
// GPU->host synchronization; the counts are a first-class output of every run.
#pragma once
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>

namespace ablate {

// Where a read happens (the reference's .item() sites).
enum class HostReadSite {
  kCrossAttnIsInit,   // cross-attention "is the K/V cache filled" flag, per block
  kKvLocalEnd,        // KV cache local end index, per block
  kKvGlobalEnd,       // KV cache global end index, per block
  kSamplerSigma,      // flow -> x0: argmin over the timestep table
  kSamplerNoiseIndex, // add_noise: index_for_timestep nonzero().item()
  kTextLength,        // text encoder: real prompt length from the mask
  kFrameSeqlen,       // host metadata: tokens per frame from the CPU grid-size tensor (not a sync)
  kSeqLen,            // host metadata: tokens in the chunk from the CPU seq-lens tensor (not a sync)
  kGatherLimiter,     // FSDP1's all-gather rate limiter: the host waits for a free event
  kTimeFrequencies,   // time embedding: the frequency table's arange copied host -> device (a blocking copy)
  kOther,
  kCount
};

const char* host_read_site_name(HostReadSite site);

struct HostReadStats {
  std::array<int64_t, static_cast<size_t>(HostReadSite::kCount)> by_site{};
  int64_t device_reads = 0;  // reads of CUDA tensors (real syncs)
  int64_t total() const;
  // Reads of device-resident values (every site but the host-metadata ones): on CUDA each is a
  // GPU->host synchronization.
  int64_t syncs() const;
  int64_t of(HostReadSite site) const { return by_site[static_cast<size_t>(site)]; }
  HostReadStats operator-(const HostReadStats& earlier) const;
};

// Whether reads at `site` are of device-resident values (syncs on CUDA) or host metadata.
bool host_read_site_is_sync(HostReadSite site);

// Reads a one-element integer tensor on the host, counting it.
int64_t host_read_int(const torch::Tensor& t, HostReadSite site);

// Counts a host wait for the device that reads no value (an event's synchronize()); `on_device`:
// a real GPU sync (false where the mechanism runs on the CPU and only keeps the count).
void count_host_sync(HostReadSite site, bool on_device);

// Process-wide counters (monotonic; take differences around a region).
HostReadStats host_read_stats();

}  // namespace ablate

namespace ablate {
inline HostReadStats operator+(const HostReadStats& a, const HostReadStats& b) {
  HostReadStats s;
  for (size_t i = 0; i < s.by_site.size(); ++i) s.by_site[i] = a.by_site[i] + b.by_site[i];
  s.device_reads = a.device_reads + b.device_reads;
  return s;
}
}  // namespace ablate
