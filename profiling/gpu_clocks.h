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
#include <optional>
#include <string>
#include <vector>

namespace ablate {

// NVML's clocks event reason bits (nvmlClocksEventReason*) and their names in JSON and messages.
const std::vector<std::pair<uint64_t, std::string>>& clock_event_reasons();
std::vector<std::string> clock_event_reason_names(uint64_t mask);
// The bits of one such name (a known name, or the "0x..." form of bits without one); nullopt for
// anything else.
std::optional<uint64_t> clock_event_reason_bits(const std::string& name);
// Reasons that mean the hardware slowed down (thermal, power brake, HW slowdown), as opposed to
// the software power cap, which a GPU at full load reaches in normal operation.
constexpr uint64_t kSlowdownReasons = 0x8 | 0x20 | 0x40 | 0x80;
constexpr uint64_t kGpuIdle = 0x1;
// A window is judged on at least this many busy clock readings.
constexpr int64_t kMinClockSamples = 3;

struct ClockSample {
  double sm_mhz = -1;          // -1: the read failed
  double power_w = -1;        // -1: not read
  int64_t temperature_c = -1;  // -1: not read
  uint64_t reasons = 0;
};

// One window's samples, summarized. The SM clock's statistics are over the busy readings (not
// flagged gpu_idle, read without error), or over every good reading when the GPU idled throughout
// (busy false); power, temperature and reasons over all samples.
struct ClockWindow {
  int64_t samples = 0;
  int64_t clock_samples = 0;  // the readings the SM clock's statistics are over
  bool busy = false;
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

// What a run's timed windows say about its validity: a window whose busy mean SM clock (over
// kMinClockSamples readings or more) is below `min_fraction` of the maximum makes it INVALID
// (nvbench's --throttle-threshold, 75 %);
// hardware slowdown reasons seen in any window are a warning.
struct ClockFindings {
  std::vector<std::string> invalid, warnings;
};
ClockFindings judge_clocks(const std::vector<ClockWindow>& windows, double min_fraction = 0.75);

class NvmlLibrary;

// Samples one device every `period_ms` between begin() and end() (and once at the end).
class GpuClockSampler {
 public:
  ~GpuClockSampler();
  GpuClockSampler(const GpuClockSampler&) = delete;
  GpuClockSampler& operator=(const GpuClockSampler&) = delete;

  // The device by its PCI bus id ("" for NVML's device `index`); null with *why_not set when NVML
  // or the device is not there.
  static std::unique_ptr<GpuClockSampler> open(const std::string& pci_bus_id, int index, int period_ms,
                                               std::string* why_not);
  // begin() only wakes the sampling thread (no NVML call on the caller's thread); end() reads once
  // more and summarizes; cancel() drops the window (generate() threw).
  void begin();
  ClockWindow end();
  void cancel();
  ClockSample read() const;
  double sm_mhz_rated() const { return rated_; }
  const std::string& rated_why_not() const { return rated_why_not_; }

 private:
  GpuClockSampler() = default;
  struct State;
  std::shared_ptr<NvmlLibrary> nvml_;
  void* handle_ = nullptr;
  double rated_ = 0;
  std::string rated_why_not_;  // why the maximum SM clock is unknown
  std::unique_ptr<State> state_;
};

// The process's sampler for `device` (opened once; every window of a run uses it), or null: a CPU
// device without ABLATE_NVML_LIBRARY, or NVML not there (gpu_clocks_status says why). A CUDA
// device is named to NVML by its PCI bus id. ABLATE_GPU_CLOCK_PERIOD_MS (1-60000, default 50)
// sets the period; another value throws std::invalid_argument.
GpuClockSampler* gpu_clock_sampler(torch::Device device);
// "nvml" when the device's clocks are sampled ("nvml (maximum SM clock unknown: <why>)" when
// the throttle check cannot judge them), else "unavailable: <why>".
std::string gpu_clocks_status(torch::Device device);

}  // namespace ablate
