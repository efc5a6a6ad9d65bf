// gpu_clocks.h: NVML through dlopen, a sampling thread, and the windows' summaries and findings.
#include "profiling/gpu_clocks.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace ablate {

#if defined(ABLATE_CUDA)
std::string cuda_pci_bus_id(int index, std::string* why_not);  // gpu_clocks_cuda.cpp
#endif

namespace {

std::string percent(double x) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.0f %%", 100.0 * x);
  return b;
}

std::string mhz(double x) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.0f MHz", x);
  return b;
}

// ABLATE_NVML_LIBRARY names the library: a CPU run samples its device 0, a CUDA run its device
// of the CUDA index (no PCI lookup)
bool nvml_injected() {
  const char* env = std::getenv("ABLATE_NVML_LIBRARY");
  return env && *env;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "none" : s;
}

}  // namespace

const std::vector<std::pair<uint64_t, std::string>>& clock_event_reasons() {
  static const std::vector<std::pair<uint64_t, std::string>> reasons = {
      {0x1, "gpu_idle"},           {0x2, "applications_clocks_setting"}, {0x4, "sw_power_cap"},
      {0x8, "hw_slowdown"},        {0x10, "sync_boost"},                 {0x20, "sw_thermal_slowdown"},
      {0x40, "hw_thermal_slowdown"}, {0x80, "hw_power_brake_slowdown"},  {0x100, "display_clock_setting"}};
  return reasons;
}

std::vector<std::string> clock_event_reason_names(uint64_t mask) {
  std::vector<std::string> names;
  uint64_t known = 0;
  for (const auto& [bit, name] : clock_event_reasons()) {
    known |= bit;
    if (mask & bit) names.push_back(name);
  }
  if (mask & ~known) {
    char b[40];
    std::snprintf(b, sizeof(b), "0x%llx", static_cast<unsigned long long>(mask & ~known));
    names.push_back(b);
  }
  return names;
}

std::optional<uint64_t> clock_event_reason_bits(const std::string& name) {
  for (const auto& [bit, known] : clock_event_reasons())
    if (known == name) return bit;
  if (name.rfind("0x", 0) != 0 || name.size() == 2) return std::nullopt;
  char* end = nullptr;
  const unsigned long long bits = std::strtoull(name.c_str() + 2, &end, 16);
  if (*end != '\0' || bits == 0) return std::nullopt;
  return bits;
}

ClockWindow ClockWindow::summarize(const std::vector<ClockSample>& samples, double sm_mhz_rated) {
  ClockWindow w;
  w.sm_mhz_rated = sm_mhz_rated;
  w.samples = static_cast<int64_t>(samples.size());
  if (samples.empty()) return w;
  // the clock of a busy GPU: an idle one (between runs, a host-bound stretch) clocks down by
  // design, and a failed read (< 0) is no clock at all
  auto busy = [](const ClockSample& s) { return s.sm_mhz >= 0 && !(s.reasons & kGpuIdle); };
  const bool any_busy = std::any_of(samples.begin(), samples.end(), busy);
  double sm = 0, power = 0;
  int64_t powered = 0;
  for (const auto& s : samples) {
    if (any_busy ? busy(s) : s.sm_mhz >= 0) {
      sm += s.sm_mhz;
      w.sm_mhz_min = w.clock_samples ? std::min(w.sm_mhz_min, s.sm_mhz) : s.sm_mhz;
      w.sm_mhz_max = w.clock_samples ? std::max(w.sm_mhz_max, s.sm_mhz) : s.sm_mhz;
      ++w.clock_samples;
    }
    if (s.power_w >= 0) {
      power += s.power_w;
      ++powered;
      w.power_w_max = std::max(w.power_w_max, s.power_w);
    }
    w.temperature_c_max = std::max(w.temperature_c_max, s.temperature_c);
    w.reasons |= s.reasons;
    for (const auto& [bit, name] : clock_event_reasons())
      if (s.reasons & bit) w.reason_share[name] += 1;  // a count until the loop ends
  }
  w.busy = any_busy;
  if (w.clock_samples) w.sm_mhz_mean = sm / static_cast<double>(w.clock_samples);
  if (powered) w.power_w_mean = power / static_cast<double>(powered);
  for (auto& [name, share] : w.reason_share) share /= static_cast<double>(samples.size());
  return w;
}

nlohmann::json ClockWindow::to_json() const {
  nlohmann::json j;
  j["samples"] = samples;
  j["sm_mhz"] = {{"min", sm_mhz_min},     {"mean", sm_mhz_mean},       {"max", sm_mhz_max},
                 {"rated", sm_mhz_rated}, {"samples", clock_samples}, {"busy", busy}};
  if (power_w_mean >= 0) j["power_w"] = {{"mean", power_w_mean}, {"max", power_w_max}};
  if (temperature_c_max >= 0) j["temperature_c_max"] = temperature_c_max;
  j["reasons"] = clock_event_reason_names(reasons);
  j["reason_share"] = reason_share;
  return j;
}

ClockFindings judge_clocks(const std::vector<ClockWindow>& windows, double min_fraction) {
  ClockFindings f;
  int64_t slowed = 0;
  uint64_t slowdown = 0;
  for (size_t k = 0; k < windows.size(); ++k) {
    const ClockWindow& w = windows[k];
    if (w.samples == 0) continue;
    // too few busy readings say nothing about a throttled run
    if (w.busy && w.clock_samples >= kMinClockSamples && w.sm_mhz_rated > 0 && w.sm_mhz_mean < min_fraction * w.sm_mhz_rated)
      f.invalid.push_back("GPU clock throttled in repetition " + std::to_string(k + 1) + ": the SM clock averaged " +
                          mhz(w.sm_mhz_mean) + ", below " + percent(min_fraction) + " of its " + mhz(w.sm_mhz_rated) +
                          " maximum (event reasons: " + joined(clock_event_reason_names(w.reasons)) + ")");
    if (w.reasons & kSlowdownReasons) {
      ++slowed;
      slowdown |= w.reasons & kSlowdownReasons;
    }
  }
  if (slowed)
    f.warnings.push_back("GPU slowdown in " + std::to_string(slowed) + " of " + std::to_string(windows.size()) +
                         " repetitions: " + joined(clock_event_reason_names(slowdown)));
  return f;
}

// ~~~ NVML, loaded at run time ~~~
// The few entry points used, declared here (C ABI, stable across driver versions) so that no build
// needs nvml.h: nvmlReturn_t is an int (0 = success), nvmlDevice_t an opaque pointer. The library
// is never closed: a sampling thread may still be inside it while the process exits.
class NvmlLibrary {
 public:
  using Init = int (*)();
  using ByIndex = int (*)(unsigned, void**);
  using ByPci = int (*)(const char*, void**);
  using ClockInfo = int (*)(void*, int, unsigned*);
  using Power = int (*)(void*, unsigned*);
  using Temperature = int (*)(void*, int, unsigned*);
  using Reasons = int (*)(void*, unsigned long long*);
  using ErrorString = const char* (*)(int);

  static std::shared_ptr<NvmlLibrary> load(std::string* why_not) {
    const std::string path = nvml_injected() ? std::getenv("ABLATE_NVML_LIBRARY") : "libnvidia-ml.so.1";
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!lib) {
      const char* e = dlerror();
      *why_not = "cannot load " + path + " (" + (e ? e : "no reason given") + ")";
      return nullptr;
    }
    auto n = std::make_shared<NvmlLibrary>();
    std::string missing;
    auto need = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::decay_t<decltype(fn)>>(dlsym(lib, name));
      if (!fn) missing += (missing.empty() ? "" : ", ") + std::string(name);
    };
    need(n->init, "nvmlInit_v2");
    need(n->by_index, "nvmlDeviceGetHandleByIndex_v2");
    need(n->by_pci, "nvmlDeviceGetHandleByPciBusId_v2");
    need(n->clock, "nvmlDeviceGetClockInfo");
    need(n->max_clock, "nvmlDeviceGetMaxClockInfo");
    // renamed in NVML 12.x; older drivers have only the second name
    n->reasons = reinterpret_cast<Reasons>(dlsym(lib, "nvmlDeviceGetCurrentClocksEventReasons"));
    if (!n->reasons) n->reasons = reinterpret_cast<Reasons>(dlsym(lib, "nvmlDeviceGetCurrentClocksThrottleReasons"));
    if (!n->reasons)
      missing += (missing.empty() ? "" : ", ") +
                 std::string("nvmlDeviceGetCurrentClocksEventReasons (or nvmlDeviceGetCurrentClocksThrottleReasons)");
    // optional readings
    n->power = reinterpret_cast<Power>(dlsym(lib, "nvmlDeviceGetPowerUsage"));
    n->temperature = reinterpret_cast<Temperature>(dlsym(lib, "nvmlDeviceGetTemperature"));
    n->error_string = reinterpret_cast<ErrorString>(dlsym(lib, "nvmlErrorString"));
    if (!missing.empty()) {
      *why_not = path + " lacks " + missing;
      return nullptr;
    }
    if (const int rc = n->init(); rc != 0) {
      *why_not = "nvmlInit_v2 failed: " + n->error(rc);
      return nullptr;
    }
    return n;
  }

  std::string error(int rc) const {
    const char* s = error_string ? error_string(rc) : nullptr;
    return s ? std::string(s) + " (" + std::to_string(rc) + ")" : "NVML error " + std::to_string(rc);
  }

  Init init = nullptr;
  ByIndex by_index = nullptr;
  ByPci by_pci = nullptr;
  ClockInfo clock = nullptr, max_clock = nullptr;
  Power power = nullptr;
  Temperature temperature = nullptr;
  Reasons reasons = nullptr;
  ErrorString error_string = nullptr;
};

namespace {
constexpr int kClockSm = 1;         // NVML_CLOCK_SM
constexpr int kTemperatureGpu = 0;  // NVML_TEMPERATURE_GPU
}  // namespace

struct GpuClockSampler::State {
  std::mutex mutex;
  std::condition_variable wake;
  bool collecting = false, stop = false;
  uint64_t window = 0;  // begin() count: a reading taken in one window is not kept in the next
  std::vector<ClockSample> samples;
  std::thread thread;
  std::chrono::milliseconds period{50};
};

std::unique_ptr<GpuClockSampler> GpuClockSampler::open(const std::string& pci_bus_id, int index, int period_ms,
                                                       std::string* why_not) {
  auto nvml = NvmlLibrary::load(why_not);
  if (!nvml) return nullptr;
  void* handle = nullptr;
  const int rc = pci_bus_id.empty() ? nvml->by_index(static_cast<unsigned>(index), &handle)
                                    : nvml->by_pci(pci_bus_id.c_str(), &handle);
  if (rc != 0) {
    *why_not = "NVML has no device " + (pci_bus_id.empty() ? std::to_string(index) : "at PCI bus id " + pci_bus_id) +
               ": " + nvml->error(rc);
    return nullptr;
  }
  std::unique_ptr<GpuClockSampler> s(new GpuClockSampler());
  s->nvml_ = std::move(nvml);
  s->handle_ = handle;
  unsigned rated = 0;
  if (const int max_rc = s->nvml_->max_clock(handle, kClockSm, &rated); max_rc == 0)
    s->rated_ = rated;
  else
    s->rated_why_not_ = s->nvml_->error(max_rc);
  s->state_ = std::make_unique<State>();
  s->state_->period = std::chrono::milliseconds(std::max(1, period_ms));
  State* st = s->state_.get();
  GpuClockSampler* self = s.get();
  // the thread takes every reading, the first as soon as a window begins: the measuring thread
  // makes no NVML call between the ranks' barrier and its timer
  st->thread = std::thread([st, self] {
    std::unique_lock<std::mutex> lock(st->mutex);
    while (!st->stop) {
      if (st->collecting) {
        const uint64_t window = st->window;
        lock.unlock();
        const ClockSample sample = self->read();
        lock.lock();
        if (st->collecting && st->window == window) st->samples.push_back(sample);
        st->wake.wait_for(lock, st->period, [st, window] { return st->stop || st->window != window; });
      } else {
        st->wake.wait(lock, [st] { return st->stop || st->collecting; });
      }
    }
  });
  return s;
}

GpuClockSampler::~GpuClockSampler() {
  if (!state_) return;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stop = true;
  }
  state_->wake.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

ClockSample GpuClockSampler::read() const {
  ClockSample s;
  unsigned v = 0;
  if (nvml_->clock(handle_, kClockSm, &v) == 0) s.sm_mhz = v;
  if (nvml_->power && nvml_->power(handle_, &v) == 0) s.power_w = v / 1000.0;  // milliwatts
  if (nvml_->temperature && nvml_->temperature(handle_, kTemperatureGpu, &v) == 0) s.temperature_c = v;
  unsigned long long mask = 0;
  if (nvml_->reasons(handle_, &mask) == 0) s.reasons = mask;
  return s;
}

void GpuClockSampler::begin() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->samples.clear();
    state_->collecting = true;
    ++state_->window;
  }
  state_->wake.notify_all();
}

ClockWindow GpuClockSampler::end() {
  const ClockSample last = read();  // after the timed region: at least one reading per window
  std::vector<ClockSample> samples;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->collecting = false;
    samples.swap(state_->samples);
  }
  samples.push_back(last);
  return ClockWindow::summarize(samples, rated_);
}

void GpuClockSampler::cancel() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->collecting = false;
  state_->samples.clear();
}

namespace {

// The process's samplers, by device. Never destroyed: an exit handler registered after the first
// NVML init stops their threads, so it runs before any handler NVML itself registered.
struct Samplers {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<GpuClockSampler>> open;
  std::map<std::string, std::string> why_not;
  bool exit_handler = false;
};

Samplers& samplers() {
  static Samplers* s = new Samplers;
  return *s;
}

void stop_samplers_at_exit() {
  Samplers& s = samplers();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.open.clear();
}

// The sampler's key: "cuda:N", or "injected:0" for a CPU run with ABLATE_NVML_LIBRARY; "" with
// *why_not set when the device has no clocks to sample.
std::string device_key(torch::Device device, std::string* why_not) {
  if (device.is_cuda()) return "cuda:" + std::to_string(device.has_index() ? device.index() : 0);
  if (nvml_injected()) return "injected:0";
  *why_not = "a " + device.str() + " device has no GPU clocks";
  return "";
}

int sampling_period_ms() {
  const char* v = std::getenv("ABLATE_GPU_CLOCK_PERIOD_MS");
  if (!v || !*v) return 50;
  char* end = nullptr;
  const long ms = std::strtol(v, &end, 10);
  if (*end != '\0' || ms < 1 || ms > 60000)  // (profiling sits below core's UsageError)
    throw std::invalid_argument(std::string("ABLATE_GPU_CLOCK_PERIOD_MS: expected a whole number of milliseconds from 1 to 60000, found '") + v + "'");
  return static_cast<int>(ms);
}

// Opens the sampler of `key` (a CUDA device by its PCI bus id: NVML ignores CUDA_VISIBLE_DEVICES).
std::unique_ptr<GpuClockSampler> open_for(torch::Device device, const std::string& key, std::string* why_not) {
  std::string pci;
  const int index = device.is_cuda() && device.has_index() ? device.index() : 0;
  if (device.is_cuda() && !nvml_injected()) {
#if defined(ABLATE_CUDA)
    pci = cuda_pci_bus_id(index, why_not);
    if (pci.empty()) return nullptr;
#else
    *why_not = "this build has no CUDA to name " + key + " to NVML";
    return nullptr;
#endif
  }
  return GpuClockSampler::open(pci, index, sampling_period_ms(), why_not);
}

}  // namespace

GpuClockSampler* gpu_clock_sampler(torch::Device device) {
  std::string why_not;
  const std::string key = device_key(device, &why_not);
  if (key.empty()) return nullptr;
  Samplers& s = samplers();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (auto it = s.open.find(key); it != s.open.end()) return it->second.get();
  if (s.why_not.count(key)) return nullptr;
  auto sampler = open_for(device, key, &why_not);
  if (!sampler) {
    s.why_not[key] = why_not.empty() ? "no reason given" : why_not;
    return nullptr;
  }
  if (!s.exit_handler) {
    std::atexit(stop_samplers_at_exit);
    s.exit_handler = true;
  }
  return (s.open[key] = std::move(sampler)).get();
}

std::string gpu_clocks_status(torch::Device device) {
  if (GpuClockSampler* sampler = gpu_clock_sampler(device))
    return sampler->sm_mhz_rated() > 0 ? "nvml" : "nvml (maximum SM clock unknown: " + sampler->rated_why_not() + ")";
  std::string why_not;
  const std::string key = device_key(device, &why_not);
  if (!key.empty()) {
    Samplers& s = samplers();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (auto it = s.why_not.find(key); it != s.why_not.end()) why_not = it->second;
  }
  return "unavailable: " + why_not;
}

}  // namespace ablate
