// The GPU's SM clock, power, temperature and clocks event ("throttle") reasons over a timed window,
// read through NVML on a background thread, as nvbench records them per sample. A run whose clock
// fell far below the device's maximum measured the cooling or the power supply, not the code.
//
// NVML is loaded at run time (libnvidia-ml.so.1 from the driver, or the library that
// ABLATE_NVML_LIBRARY names), so no build needs the driver or its headers: without it the sampler
// is absent and says why. With ABLATE_NVML_LIBRARY set, a CPU run samples that library's device 0
// (the tests' fake NVML).
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ablate {

// NVML's clocks event reason bits (nvmlClocksEventReason*) and their names in JSON and messages.
const std::vector<std::pair<uint64_t, std::string>>& clock_event_reasons();
std::vector<std::string> clock_event_reason_names(uint64_t mask);
// Reasons that mean the hardware slowed down (thermal, power brake, HW slowdown), as opposed to
// the software power cap, which a GPU at full load reaches in normal operation.
constexpr uint64_t kSlowdownReasons = 0x8 | 0x20 | 0x40 | 0x80;

struct ClockSample {
  double sm_mhz = 0;
  double power_w = -1;        // -1: not read
  int64_t temperature_c = -1;  // -1: not read
  uint64_t reasons = 0;
};

// One window's samples, summarized.
struct ClockWindow {
  int64_t samples = 0;
  double sm_mhz_min = 0, sm_mhz_mean = 0, sm_mhz_max = 0;
  double sm_mhz_rated = 0;  // the device's maximum SM clock (0: unknown)
  double power_w_mean = -1, power_w_max = -1;
  int64_t temperature_c_max = -1;
  uint64_t reasons = 0;                       // every reason seen
  std::map<std::string, double> reason_share;  // reason -> share of the samples that carried it

  static ClockWindow summarize(const std::vector<ClockSample>& samples, double sm_mhz_rated);
  // (read back by the ledger, ledger_record.cpp)
  nlohmann::json to_json() const;
};

// What a run's timed windows say about its validity: a window whose mean SM clock is below
// `min_fraction` of the maximum makes it INVALID (nvbench's --throttle-threshold, 75 %);
// hardware slowdown reasons seen in any window are a warning.
struct ClockFindings {
  std::vector<std::string> invalid, warnings;
};
ClockFindings judge_clocks(const std::vector<ClockWindow>& windows, double min_fraction = 0.75);

class NvmlLibrary;

// Samples one device every `period_ms` between begin() and end() (and once at each end).
class GpuClockSampler {
 public:
  ~GpuClockSampler();
  GpuClockSampler(const GpuClockSampler&) = delete;
  GpuClockSampler& operator=(const GpuClockSampler&) = delete;

  // The device by its PCI bus id ("" for NVML's device `index`); null with *why_not set when NVML
  // or the device is not there.
  static std::unique_ptr<GpuClockSampler> open(const std::string& pci_bus_id, int index, int period_ms,
                                               std::string* why_not);
  void begin();
  ClockWindow end();
  ClockSample read() const;
  double sm_mhz_rated() const { return rated_; }

 private:
  GpuClockSampler() = default;
  struct State;
  std::shared_ptr<NvmlLibrary> nvml_;
  void* handle_ = nullptr;
  double rated_ = 0;
  std::unique_ptr<State> state_;
};

// The process's sampler for `device` (opened once; every window of a run uses it), or null: a CPU
// device without ABLATE_NVML_LIBRARY, or NVML not there (gpu_clocks_status says why).
GpuClockSampler* gpu_clock_sampler(torch::Device device);
// "nvml" when the device's clocks are sampled, else "unavailable: <why>".
std::string gpu_clocks_status(torch::Device device);

}  // namespace ablate
