#include "experiments/runner/measure.h"

#include <algorithm>
#include <cstring>

#include "core/video_hash.h"
#include "profiling/memory_stats.h"
#include "profiling/phase_timer.h"
#include "profiling/trace_recorder.h"

namespace ablate {
namespace {

// The MD5's 16 bytes as four exact doubles (32-bit words), so one all-gather carries it.
std::vector<double> md5_words(const std::string& hex) {
  std::vector<double> w;
  for (size_t i = 0; i + 8 <= hex.size(); i += 8) w.push_back(static_cast<double>(std::stoul(hex.substr(i, 8), nullptr, 16)));
  return w;
}

std::string md5_from_words(const double* w) {
  char buf[33];
  for (int i = 0; i < 4; ++i) std::snprintf(buf + 8 * i, 9, "%08lx", static_cast<unsigned long>(w[i]));
  return std::string(buf, 32);
}

// A clock window around generate() that a throw inside it cancels (the sampler stops reading).
class ClockWindowScope {
 public:
  explicit ClockWindowScope(GpuClockSampler* sampler) : sampler_(sampler) {}
  ~ClockWindowScope() {
    if (open_) sampler_->cancel();
  }
  void begin() {
    if (!sampler_) return;
    sampler_->begin();
    open_ = true;
  }
  std::optional<ClockWindow> end() {
    if (!open_) return std::nullopt;
    open_ = false;
    return sampler_->end();
  }

 private:
  GpuClockSampler* sampler_;
  bool open_ = false;
};

void read_timings(const std::vector<PhaseTiming>& timings, Measurement& m) {
  if (timings.size() > 1) m.outside_phases_ms = time_outside_phases_ms(timings);
  for (const auto& t : timings) {
    const bool on_device = t.device_ms >= 0;
    if (t.phase == Phase::kGenerate) {
      m.generate_ms = t.host_ms;
      continue;
    }
    // a batch decodes each request in turn: its phases of one label add up
    m.phase_ms[t.label()] += on_device ? t.device_ms : t.host_ms;
    const double end = on_device ? t.device_end_offset_ms : t.host_end_offset_ms;
    // a request's video is done when its last decode phase ends (the whole decode, or the join)
    if (t.phase == Phase::kVaeDecode && t.index == -1) m.request_latency_ms.push_back(end);
    // the first chunk denoised, and the first decoded frames (a per-chunk decode's first, or the
    // whole decode at the end)
    if (t.phase == Phase::kChunk && !m.latency_ms.count("first_chunk")) m.latency_ms["first_chunk"] = end;
    if (t.phase == Phase::kVaeDecode && !m.latency_ms.count("first_frame")) m.latency_ms["first_frame"] = end;
  }
}

void read_collectives(const dist::Communicator& comm, Measurement& m) {
  const auto stats = comm.stats();
  for (size_t c = 0; c < stats.size(); ++c) {
    if (stats[c].calls == 0) continue;
    CollectiveRow row;
    row.calls = stats[c].calls;
    row.bytes = stats[c].bytes;
    row.ms = stats[c].ms;
    m.collectives[dist::collective_name(static_cast<dist::Collective>(c))] = row;
  }
}

// Every rank's [sample ms, peak bytes, latent MD5 words] on every rank.
void reduce_over_ranks(dist::Communicator* comm, double sample, int64_t peak, const std::string& latent_md5,
                       Measurement& m) {
  std::vector<double> mine{sample, static_cast<double>(peak)};
  for (double w : md5_words(latent_md5)) mine.push_back(w);
  const int64_t width = static_cast<int64_t>(mine.size());
  torch::Tensor all = torch::tensor(mine, torch::kDouble).view({1, width});
  if (comm) all = comm->all_gather(all.to(comm->device()), 0).cpu();
  all = all.contiguous();
  const double* a = all.data_ptr<double>();
  for (int64_t r = 0; r < all.size(0); ++r) {
    const double* row = a + r * width;
    m.rank_sample_ms.push_back(row[0]);
    m.peak_per_rank.push_back(static_cast<int64_t>(row[1]));
    m.rank_latent_md5s.push_back(md5_from_words(row + 2));
  }
  m.sample_ms = *std::max_element(m.rank_sample_ms.begin(), m.rank_sample_ms.end());
}

}  // namespace

Measurement measure_generate(Pipeline& pipeline, const GenerateRequest& request, dist::Communicator* comm,
                             const MeasureOptions& options) {
  return measure_generate_batch(pipeline, {request}, comm, options);
}

Measurement measure_generate_batch(Pipeline& pipeline, const std::vector<GenerateRequest>& requests,
                                   dist::Communicator* comm, const MeasureOptions& options) {
  const torch::Device device = pipeline.options().device;
  if (comm) {
    comm->barrier();  // every rank starts the request together
    comm->reset_stats();
  }
  reset_peak_memory(device);
  ClockWindowScope clocks(options.gpu_clocks ? gpu_clock_sampler(device) : nullptr);
  PhaseTimer timer(device, options.phase_timers);
  Measurement m;
  const int64_t ranges_before = trace::ranges_opened();
  clocks.begin();
  m.outputs = pipeline.generate_batch(requests, &timer);
  const auto timings = timer.finish();  // waits for the device: the window covers its work
  m.gpu_clocks = clocks.end();
  m.ranges = trace::ranges_opened() - ranges_before;
  m.timed_phases = static_cast<int64_t>(timings.size());
  if (comm) comm->resolve();
  // ~~~ after the timed region ~~~
  read_timings(timings, m);
  if (comm) read_collectives(*comm, m);
  // ranks that decode nothing: every request is done when generate() returns
  if (m.request_latency_ms.size() != m.outputs.size()) m.request_latency_ms.assign(m.outputs.size(), m.generate_ms);
  std::vector<torch::Tensor> latents;
  for (auto& out : m.outputs) {
    if (options.perturb_latents) out.latents = out.latents + 1e-3;
    latents.push_back(out.latents.contiguous().cpu());
  }
  m.output = m.outputs.front();
  // one request: its latents' MD5; a batch: the MD5 of all of them, stacked in request order
  const std::string latent_md5 = tensor_md5(latents.size() == 1 ? latents.front() : torch::stack(latents));
  reduce_over_ranks(comm, m.generate_ms + options.extra_ms, peak_memory(device).peak_bytes, latent_md5, m);
  return m;
}

}  // namespace ablate
