// A stand-in for libnvidia-ml.so.1 (ABLATE_NVML_LIBRARY) so that the GPU clock sampler runs on
// machines without a driver. One device; its readings come from the environment:
//   FAKE_NVML_SM_MHZ      SM clocks, comma-separated, one per reading in turn (default 1980)
//   FAKE_NVML_MAX_MHZ     the maximum SM clock (default 1980)
//   FAKE_NVML_REASONS     the clocks event reasons mask, e.g. 0x4 (default 0)
//   FAKE_NVML_POWER_MW    power in milliwatts (default 650000)
//   FAKE_NVML_INIT_FAILS  set: nvmlInit_v2 fails as without a driver
//   FAKE_NVML_CLOCK_FAILS set: every clock reading fails
//   FAKE_NVML_MAX_FAILS   set: the maximum clock is not supported
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

unsigned env_unsigned(const char* name, unsigned fallback) {
  const char* v = std::getenv(name);
  return v && *v ? static_cast<unsigned>(std::strtoul(v, nullptr, 0)) : fallback;
}

std::vector<unsigned> sm_clocks() {
  std::vector<unsigned> out;
  const char* v = std::getenv("FAKE_NVML_SM_MHZ");
  std::string s = v && *v ? v : "1980";
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    out.push_back(static_cast<unsigned>(std::strtoul(s.substr(start, comma - start).c_str(), nullptr, 0)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::atomic<size_t> readings{0};
int device_tag = 0;  // the one device's handle points here

}  // namespace

extern "C" {

__attribute__((visibility("default"))) int nvmlInit_v2() { return std::getenv("FAKE_NVML_INIT_FAILS") ? 9 : 0; }

__attribute__((visibility("default"))) const char* nvmlErrorString(int rc) {
  return rc == 9 ? "Driver Not Loaded" : rc == 2 ? "Invalid Argument" : rc == 3 ? "Not Supported" : "Unknown Error";
}

__attribute__((visibility("default"))) int nvmlDeviceGetHandleByIndex_v2(unsigned index, void** device) {
  if (index != 0) return 2;
  *device = &device_tag;
  return 0;
}

// NVML's bus id form, "dddd:bb:dd.f" (what cudaDeviceGetPCIBusId writes)
__attribute__((visibility("default"))) int nvmlDeviceGetHandleByPciBusId_v2(const char* id, void** device) {
  unsigned domain = 0, bus = 0, dev = 0, fn = 0;
  char end = 0;
  if (std::sscanf(id, "%x:%x:%x.%x%c", &domain, &bus, &dev, &fn, &end) != 4) return 2;
  *device = &device_tag;
  return 0;
}

// NVML_CLOCK_SM is 1; FAKE_NVML_CLOCK_FAILS: the read fails as on a GPU that is lost
__attribute__((visibility("default"))) int nvmlDeviceGetClockInfo(void*, int type, unsigned* mhz) {
  if (type != 1) return 2;
  ++readings;
  if (std::getenv("FAKE_NVML_CLOCK_FAILS")) return 15;
  const std::vector<unsigned> clocks = sm_clocks();
  *mhz = clocks[(readings - 1) % clocks.size()];
  return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetMaxClockInfo(void*, int type, unsigned* mhz) {
  if (type != 1) return 2;
  if (std::getenv("FAKE_NVML_MAX_FAILS")) return 3;  // NVML_ERROR_NOT_SUPPORTED
  *mhz = env_unsigned("FAKE_NVML_MAX_MHZ", 1980);
  return 0;
}

// How many clock readings were taken (the tests wait on it).
__attribute__((visibility("default"))) size_t fake_nvml_readings() { return readings; }

__attribute__((visibility("default"))) int nvmlDeviceGetPowerUsage(void*, unsigned* mw) {
  *mw = env_unsigned("FAKE_NVML_POWER_MW", 650000);
  return 0;
}

// NVML_TEMPERATURE_GPU is 0
__attribute__((visibility("default"))) int nvmlDeviceGetTemperature(void*, int sensor, unsigned* c) {
  if (sensor != 0) return 2;
  *c = 45;
  return 0;
}

__attribute__((visibility("default"))) int nvmlDeviceGetCurrentClocksEventReasons(void*, unsigned long long* mask) {
  *mask = env_unsigned("FAKE_NVML_REASONS", 0);
  return 0;
}

}  // extern "C"
