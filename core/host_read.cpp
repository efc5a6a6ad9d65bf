#include "core/host_read.h"

#include <atomic>

namespace ablate {
namespace {
constexpr size_t kSites = static_cast<size_t>(HostReadSite::kCount);
std::array<std::atomic<int64_t>, kSites> g_by_site{};
std::atomic<int64_t> g_device_reads{0};
}  // namespace

const char* host_read_site_name(HostReadSite site) {
  switch (site) {
    case HostReadSite::kCrossAttnIsInit: return "cross_attn_is_init";
    case HostReadSite::kKvLocalEnd: return "kv_local_end";
    case HostReadSite::kKvGlobalEnd: return "kv_global_end";
    case HostReadSite::kSamplerSigma: return "sampler_sigma";
    case HostReadSite::kSamplerNoiseIndex: return "sampler_noise_index";
    case HostReadSite::kTextLength: return "text_length";
    case HostReadSite::kFrameSeqlen: return "frame_seqlen";
    case HostReadSite::kSeqLen: return "seq_len";
    case HostReadSite::kGatherLimiter: return "gather_limiter";
    case HostReadSite::kTimeFrequencies: return "time_frequencies";
    case HostReadSite::kOther: return "other";
    case HostReadSite::kCount: break;
  }
  return "invalid";
}

int64_t HostReadStats::total() const {
  int64_t sum = 0;
  for (auto v : by_site) sum += v;
  return sum;
}

bool host_read_site_is_sync(HostReadSite site) {
  return site != HostReadSite::kFrameSeqlen && site != HostReadSite::kSeqLen;
}

int64_t HostReadStats::syncs() const {
  int64_t sum = 0;
  for (size_t i = 0; i < kSites; ++i)
    if (host_read_site_is_sync(static_cast<HostReadSite>(i))) sum += by_site[i];
  return sum;
}

HostReadStats HostReadStats::operator-(const HostReadStats& earlier) const {
  HostReadStats d;
  for (size_t i = 0; i < kSites; ++i) d.by_site[i] = by_site[i] - earlier.by_site[i];
  d.device_reads = device_reads - earlier.device_reads;
  return d;
}

int64_t host_read_int(const torch::Tensor& t, HostReadSite site) {
  TORCH_CHECK(t.numel() == 1, "host_read_int expects a one-element tensor, got shape ", t.sizes());
  g_by_site[static_cast<size_t>(site)].fetch_add(1, std::memory_order_relaxed);
  if (t.is_cuda()) g_device_reads.fetch_add(1, std::memory_order_relaxed);
  return t.item<int64_t>();
}

void count_host_sync(HostReadSite site, bool on_device) {
  g_by_site[static_cast<size_t>(site)].fetch_add(1, std::memory_order_relaxed);
  if (on_device) g_device_reads.fetch_add(1, std::memory_order_relaxed);
}

HostReadStats host_read_stats() {
  HostReadStats s;
  for (size_t i = 0; i < kSites; ++i) s.by_site[i] = g_by_site[i].load(std::memory_order_relaxed);
  s.device_reads = g_device_reads.load(std::memory_order_relaxed);
  return s;
}

}  // namespace ablate
