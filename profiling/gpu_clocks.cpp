// gpu_clocks.h: NVML through dlopen, a sampling thread, and the windows' summaries and findings.
#include "profiling/gpu_clocks.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace ablate {

#if defined(ABLATE_CUDA)
std::string cuda_pci_bus_id(int index);  // gpu_clocks_cuda.cpp
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

ClockWindow ClockWindow::summarize(const std::vector<ClockSample>& samples, double sm_mhz_rated) {
  ClockWindow w;
  w.sm_mhz_rated = sm_mhz_rated;
  w.samples = static_cast<int64_t>(samples.size());
  if (samples.empty()) return w;
  w.sm_mhz_min = w.sm_mhz_max = samples.front().sm_mhz;
  double sm = 0, power = 0;
  int64_t powered = 0;
  std::map<uint64_t, int64_t> counts;
  for (const auto& s : samples) {
    sm += s.sm_mhz;
    w.sm_mhz_min = std::min(w.sm_mhz_min, s.sm_mhz);
    w.sm_mhz_max = std::max(w.sm_mhz_max, s.sm_mhz);
    if (s.power_w >= 0) {
      power += s.power_w;
      ++powered;
      w.power_w_max = std::max(w.power_w_max, s.power_w);
    }
    w.temperature_c_max = std::max(w.temperature_c_max, s.temperature_c);
    w.reasons |= s.reasons;
    for (const auto& [bit, name] : clock_event_reasons())
      if (s.reasons & bit) ++counts[bit];
  }
  w.sm_mhz_mean = sm / static_cast<double>(samples.size());
  if (powered) w.power_w_mean = power / static_cast<double>(powered);
  for (const auto& [bit, name] : clock_event_reasons())
    if (counts.count(bit)) w.reason_share[name] = static_cast<double>(counts[bit]) / static_cast<double>(samples.size());
  return w;
}

nlohmann::json ClockWindow::to_json() const {
  nlohmann::json j;
  j["samples"] = samples;
  j["sm_mhz"] = {{"min", sm_mhz_min}, {"mean", sm_mhz_mean}, {"max", sm_mhz_max}, {"rated", sm_mhz_rated}};
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
    if (w.sm_mhz_rated > 0 && w.sm_mhz_mean < min_fraction * w.sm_mhz_rated)
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
// needs nvml.h: nvmlReturn_t is an int (0 = success), nvmlDevice_t an opaque pointer.
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
    const char* env = std::getenv("ABLATE_NVML_LIBRARY");
    const std::string path = env && *env ? env : "libnvidia-ml.so.1";
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* e = dlerror();
      *why_not = "cannot load " + path + " (" + (e ? e : "no reason given") + ")";
      return nullptr;
    }
    std::shared_ptr<NvmlLibrary> n(new NvmlLibrary(lib));
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
    // renamed in NVML 12.x; older drivers have only the first name
    n->reasons = reinterpret_cast<Reasons>(dlsym(lib, "nvmlDeviceGetCurrentClocksEventReasons"));
    if (!n->reasons) need(n->reasons, "nvmlDeviceGetCurrentClocksThrottleReasons");
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

  ~NvmlLibrary() { dlclose(lib_); }  // nvmlShutdown is left out: other users may share the driver's NVML

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

 private:
  explicit NvmlLibrary(void* lib) : lib_(lib) {}
  void* lib_;
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
  if (s->nvml_->max_clock(handle, kClockSm, &rated) == 0) s->rated_ = rated;
  s->state_ = std::make_unique<State>();
  s->state_->period = std::chrono::milliseconds(std::max(1, period_ms));
  State* st = s->state_.get();
  GpuClockSampler* self = s.get();
  st->thread = std::thread([st, self] {
    std::unique_lock<std::mutex> lock(st->mutex);
    while (!st->stop) {
      if (st->collecting) {
        const uint64_t window = st->window;
        lock.unlock();
        const ClockSample sample = self->read();
        lock.lock();
        if (st->collecting && st->window == window) st->samples.push_back(sample);
        st->wake.wait_for(lock, st->period, [st] { return st->stop; });
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
  state_->thread.join();
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
  const ClockSample first = read();
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->samples.assign(1, first);
    state_->collecting = true;
    ++state_->window;
  }
  state_->wake.notify_all();
}

ClockWindow GpuClockSampler::end() {
  const ClockSample last = read();
  std::vector<ClockSample> samples;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->collecting = false;
    samples.swap(state_->samples);
  }
  samples.push_back(last);
  return ClockWindow::summarize(samples, rated_);
}

namespace {

struct Samplers {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<GpuClockSampler>> open;
  std::map<std::string, std::string> why_not;
};

Samplers& samplers() {
  static Samplers s;
  return s;
}

// The sampler's key and how to open it, or "" when the device has none to sample.
std::string device_key(torch::Device device, std::string* pci, int* index, std::string* why_not) {
  const char* env = std::getenv("ABLATE_NVML_LIBRARY");
  const bool injected = env && *env;
  *index = device.has_index() ? device.index() : 0;
  if (device.is_cuda()) {
#if defined(ABLATE_CUDA)
    if (!injected) *pci = cuda_pci_bus_id(*index);
#endif
    return "cuda:" + std::to_string(*index);
  }
  if (injected) {
    *index = 0;
    return "injected:0";
  }
  *why_not = "a " + device.str() + " device has no GPU clocks";
  return "";
}

}  // namespace

GpuClockSampler* gpu_clock_sampler(torch::Device device) {
  std::string pci, why_not;
  int index = 0;
  const std::string key = device_key(device, &pci, &index, &why_not);
  if (key.empty()) return nullptr;
  Samplers& s = samplers();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (auto it = s.open.find(key); it != s.open.end()) return it->second.get();
  if (s.why_not.count(key)) return nullptr;
  const char* period = std::getenv("ABLATE_GPU_CLOCK_PERIOD_MS");
  auto sampler = GpuClockSampler::open(pci, index, period ? std::atoi(period) : 50, &why_not);
  if (!sampler) {
    s.why_not[key] = why_not;
    return nullptr;
  }
  return (s.open[key] = std::move(sampler)).get();
}

std::string gpu_clocks_status(torch::Device device) {
  if (gpu_clock_sampler(device)) return "nvml";
  std::string pci, why_not;
  int index = 0;
  const std::string key = device_key(device, &pci, &index, &why_not);
  if (!key.empty()) {
    std::lock_guard<std::mutex> lock(samplers().mutex);
    why_not = samplers().why_not[key];
  }
  return "unavailable: " + why_not;
}

}  // namespace ablate
