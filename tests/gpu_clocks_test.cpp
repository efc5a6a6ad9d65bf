// GPU clocks (profiling/gpu_clocks.h): a window's summary, the findings that make a run INVALID or
// warn, the sampler against a fake NVML (tests/fake_nvml.cpp), why it is absent, and the ledger's
// round trip of the windows.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "experiments/runner/ledger_record.h"
#include "profiling/gpu_clocks.h"

namespace ablate {
namespace {

// Sets environment variables for one test and restores them after.
class ScopedEnv {
 public:
  void set(const char* name, const std::string& value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) setenv(it->first.c_str(), it->second->c_str(), 1);
      else unsetenv(it->first.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

ClockSample sample(double mhz, uint64_t reasons, double watts = 600) { return {mhz, watts, 50, reasons}; }

TEST(GpuClocksTest, WindowSummarizesItsSamples) {
  const auto w = ClockWindow::summarize({sample(1980, 0), sample(1900, 0x4, 690), sample(1680, 0x4 | 0x40, 700),
                                         sample(1980, 0)},
                                        1980);
  EXPECT_EQ(w.samples, 4);
  EXPECT_DOUBLE_EQ(w.sm_mhz_min, 1680);
  EXPECT_DOUBLE_EQ(w.sm_mhz_max, 1980);
  EXPECT_DOUBLE_EQ(w.sm_mhz_mean, (1980 + 1900 + 1680 + 1980) / 4.0);
  EXPECT_DOUBLE_EQ(w.power_w_max, 700);
  EXPECT_DOUBLE_EQ(w.power_w_mean, (600 + 690 + 700 + 600) / 4.0);
  EXPECT_EQ(w.reasons, 0x44u);
  EXPECT_EQ(w.reason_share, (std::map<std::string, double>{{"sw_power_cap", 0.5}, {"hw_thermal_slowdown", 0.25}}));
  const auto j = w.to_json();
  EXPECT_EQ(j["reasons"], nlohmann::json({"sw_power_cap", "hw_thermal_slowdown"}));
  EXPECT_EQ(j["sm_mhz"]["rated"], 1980);
  EXPECT_EQ(ClockWindow::summarize({}, 1980).samples, 0);
  EXPECT_EQ(w.clock_samples, 4);
  EXPECT_TRUE(w.busy);
}

TEST(GpuClocksTest, IdleAndFailedReadingsAreNotTheBusyClock) {
  // between runs the GPU idles at a low clock, and a failed read has none: neither is the clock
  // the run ran at; both still count in the shares
  const auto w = ClockWindow::summarize({sample(210, 0x1), sample(1980, 0), sample(1950, 0x4), sample(-1, 0)}, 1980);
  EXPECT_EQ(w.samples, 4);
  EXPECT_EQ(w.clock_samples, 2);
  EXPECT_TRUE(w.busy);
  EXPECT_DOUBLE_EQ(w.sm_mhz_min, 1950);
  EXPECT_DOUBLE_EQ(w.sm_mhz_mean, 1965);
  EXPECT_DOUBLE_EQ(w.reason_share.at("gpu_idle"), 0.25);
  // idle throughout: the clock over every good reading, and not judged
  const auto idle = ClockWindow::summarize({sample(210, 0x1), sample(345, 0x1), sample(210, 0x1)}, 1980);
  EXPECT_FALSE(idle.busy);
  EXPECT_EQ(idle.clock_samples, 3);
  EXPECT_DOUBLE_EQ(idle.sm_mhz_max, 345);
  EXPECT_TRUE(judge_clocks({idle}).invalid.empty());
  // no good reading at all
  const auto failed = ClockWindow::summarize({sample(-1, 0), sample(-1, 0)}, 1980);
  EXPECT_EQ(failed.clock_samples, 0);
  EXPECT_TRUE(judge_clocks({failed}).invalid.empty());
}

TEST(GpuClocksTest, ReasonNamesKeepUnknownBits) {
  EXPECT_EQ(clock_event_reason_names(0x1 | 0x80 | 0x1000),
            (std::vector<std::string>{"gpu_idle", "hw_power_brake_slowdown", "0x1000"}));
  EXPECT_TRUE(clock_event_reason_names(0).empty());
}

TEST(GpuClocksTest, ThrottledRepetitionIsInvalidSlowdownWarnsPowerCapIsNormal) {
  const auto normal = ClockWindow::summarize({sample(1935, 0x4), sample(1980, 0x4), sample(1950, 0)}, 1980);
  const auto hot = ClockWindow::summarize({sample(1800, 0x20), sample(1900, 0), sample(1850, 0)}, 1980);
  const auto slow = ClockWindow::summarize({sample(900, 0x8), sample(1100, 0x8), sample(1000, 0x8)}, 1980);
  // the software power cap alone: a GPU at full load, nothing to say
  const auto fine = judge_clocks({normal, normal});
  EXPECT_TRUE(fine.invalid.empty());
  EXPECT_TRUE(fine.warnings.empty());
  const auto f = judge_clocks({normal, hot, slow});
  ASSERT_EQ(f.invalid.size(), 1u);
  EXPECT_EQ(f.invalid[0],
            "GPU clock throttled in repetition 3: the SM clock averaged 1000 MHz, below 75 % of its 1980 MHz maximum "
            "(event reasons: hw_slowdown)");
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_EQ(f.warnings[0], "GPU slowdown in 2 of 3 repetitions: hw_slowdown, sw_thermal_slowdown");
  // an unknown maximum judges no clock, nor do fewer than kMinClockSamples busy readings
  EXPECT_TRUE(judge_clocks({ClockWindow::summarize({sample(900, 0), sample(900, 0), sample(900, 0)}, 0)}).invalid.empty());
  EXPECT_TRUE(judge_clocks({ClockWindow::summarize({sample(900, 0), sample(900, 0)}, 1980)}).invalid.empty());
}

// The fake's count of clock readings (it is the library the sampler opened: one handle per path).
size_t fake_readings() {
  void* lib = dlopen(ABLATE_FAKE_NVML, RTLD_NOW | RTLD_NOLOAD);
  auto* count = lib ? reinterpret_cast<size_t (*)()>(dlsym(lib, "fake_nvml_readings")) : nullptr;
  return count ? count() : 0;
}

// Waits (up to 10 s, for a loaded CI machine) until the fake has taken `n` more readings.
bool wait_for_readings(size_t n) {
  const size_t start = fake_readings();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fake_readings() < start + n) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

TEST(GpuClocksTest, SamplerReadsNvmlBetweenBeginAndEnd) {
  ScopedEnv env;
  env.set("ABLATE_NVML_LIBRARY", ABLATE_FAKE_NVML);
  env.set("FAKE_NVML_SM_MHZ", "1980,1500");
  env.set("FAKE_NVML_MAX_MHZ", "1980");
  env.set("FAKE_NVML_REASONS", "0x44");
  env.set("FAKE_NVML_POWER_MW", "650000");
  std::string why;
  auto sampler = GpuClockSampler::open("", 0, 1, &why);
  ASSERT_TRUE(sampler) << why;
  EXPECT_DOUBLE_EQ(sampler->sm_mhz_rated(), 1980);
  sampler->begin();
  ASSERT_TRUE(wait_for_readings(3)) << "the sampling thread took no readings in 10 s";
  const ClockWindow w = sampler->end();
  EXPECT_GE(w.samples, 4);  // the thread's 3 or more, and one at end()
  EXPECT_DOUBLE_EQ(w.sm_mhz_min, 1500);
  EXPECT_DOUBLE_EQ(w.sm_mhz_max, 1980);
  EXPECT_DOUBLE_EQ(w.power_w_max, 650);
  EXPECT_EQ(w.temperature_c_max, 45);
  EXPECT_EQ(clock_event_reason_names(w.reasons), (std::vector<std::string>{"sw_power_cap", "hw_thermal_slowdown"}));
  EXPECT_DOUBLE_EQ(w.reason_share.at("sw_power_cap"), 1.0);
  // outside a window the thread reads nothing, and the next window holds only its own readings
  const size_t idle_from = fake_readings();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(fake_readings(), idle_from);
  env.set("FAKE_NVML_SM_MHZ", "1700");
  sampler->begin();
  const ClockWindow next = sampler->end();
  EXPECT_GE(next.samples, 1);
  EXPECT_DOUBLE_EQ(next.sm_mhz_min, 1700);
  EXPECT_DOUBLE_EQ(next.sm_mhz_max, 1700);
  // a window cancelled (generate() threw) keeps nothing for the next
  sampler->begin();
  ASSERT_TRUE(wait_for_readings(1));
  sampler->cancel();
  env.set("FAKE_NVML_SM_MHZ", "1600");
  sampler->begin();
  EXPECT_DOUBLE_EQ(sampler->end().sm_mhz_max, 1600);
}

TEST(GpuClocksTest, FailedReadingsAndAnUnknownMaximumAreSaid) {
  ScopedEnv env;
  env.set("ABLATE_NVML_LIBRARY", ABLATE_FAKE_NVML);
  env.set("FAKE_NVML_MAX_FAILS", "1");
  std::string why;
  auto sampler = GpuClockSampler::open("0000:65:00.0", 0, 1, &why);
  ASSERT_TRUE(sampler) << why;
  EXPECT_EQ(sampler->sm_mhz_rated(), 0);
  EXPECT_EQ(sampler->rated_why_not(), "Not Supported (3)");
  env.set("FAKE_NVML_CLOCK_FAILS", "1");
  sampler->begin();
  const ClockWindow w = sampler->end();
  EXPECT_GE(w.samples, 1);
  EXPECT_EQ(w.clock_samples, 0);  // no reading stands for 0 MHz
  EXPECT_EQ(w.to_json()["sm_mhz"]["samples"], 0);
  // NVML's bus id form only (the fake checks it as NVML does)
  EXPECT_FALSE(GpuClockSampler::open("65:00", 0, 1, &why));
  EXPECT_EQ(why, "NVML has no device at PCI bus id 65:00: Invalid Argument (2)");
}

TEST(GpuClocksTest, OpenSaysWhyNvmlIsAbsent) {
  ScopedEnv env;
  std::string why;
  env.set("ABLATE_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1");
  EXPECT_FALSE(GpuClockSampler::open("", 0, 50, &why));
  EXPECT_EQ(why.rfind("cannot load /nonexistent/libnvidia-ml.so.1 (", 0), 0u) << why;
  env.set("ABLATE_NVML_LIBRARY", "libm.so.6");
  EXPECT_FALSE(GpuClockSampler::open("", 0, 50, &why));
  EXPECT_EQ(why.rfind("libm.so.6 lacks nvmlInit_v2, nvmlDeviceGetHandleByIndex_v2", 0), 0u) << why;
  env.set("ABLATE_NVML_LIBRARY", ABLATE_FAKE_NVML);
  env.set("FAKE_NVML_INIT_FAILS", "1");
  EXPECT_FALSE(GpuClockSampler::open("", 0, 50, &why));
  EXPECT_EQ(why, "nvmlInit_v2 failed: Driver Not Loaded (9)");
  unsetenv("FAKE_NVML_INIT_FAILS");
  EXPECT_FALSE(GpuClockSampler::open("", 3, 50, &why));
  EXPECT_EQ(why, "NVML has no device 3: Invalid Argument (2)");
  env.set("ABLATE_GPU_CLOCK_PERIOD_MS", "fast");
  try {
    gpu_clock_sampler(torch::kCPU);
    FAIL() << "a bad period was taken";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "ABLATE_GPU_CLOCK_PERIOD_MS: expected a whole number of milliseconds from 1 to 60000, found 'fast'");
  }
}

TEST(GpuClocksTest, CpuDeviceHasNoClocksUnlessNvmlIsInjected) {
  if (std::getenv("ABLATE_NVML_LIBRARY")) GTEST_SKIP() << "ABLATE_NVML_LIBRARY is set for this process";
  EXPECT_EQ(gpu_clock_sampler(torch::kCPU), nullptr);
  EXPECT_EQ(gpu_clocks_status(torch::kCPU), "unavailable: a cpu device has no GPU clocks");
}

TEST(GpuClocksTest, LedgerKeepsTheWindows) {
  LedgerRecord r;
  r.samples_ms = {10, 11};
  r.gpu_clocks = {ClockWindow::summarize({sample(1980, 0x4), sample(1700, 0x4 | 0x8 | 0x1000)}, 1980),
                  ClockWindow::summarize({{1900, -1, -1, 0}}, 0)};
  const LedgerRecord back = LedgerRecord::from_json(r.to_json(), "ledger.jsonl:1");
  ASSERT_EQ(back.gpu_clocks.size(), 2u);
  EXPECT_EQ(back.gpu_clocks[0].to_json(), r.gpu_clocks[0].to_json());
  EXPECT_EQ(back.gpu_clocks[0].reasons, 0x100Cu);  // a bit without a name comes back too
  EXPECT_EQ(back.gpu_clocks[1].to_json(), r.gpu_clocks[1].to_json());
  EXPECT_EQ(back.gpu_clocks[1].power_w_max, -1);
  nlohmann::json bad = r.to_json();
  bad["gpu_clocks"][1]["sm_mhz"] = "fast";
  try {
    LedgerRecord::from_json(bad, "ledger.jsonl:7");
    FAIL() << "a wrong window was read";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("ledger.jsonl:7.gpu_clocks[1].sm_mhz: expected"), std::string::npos) << e.what();
  }
  bad = r.to_json();
  bad["gpu_clocks"][0]["reasons"] = {"sw_power_cap", "too_hot"};
  try {
    LedgerRecord::from_json(bad, "ledger.jsonl:8");
    FAIL() << "an unknown reason was read";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("ledger.jsonl:8.gpu_clocks[0].reasons: expected NVML clocks event reasons (gpu_idle, "),
              std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("or a hex mask such as 0x1000), found \"too_hot\""), std::string::npos) << e.what();
  }
  // records without the field (older ledgers, no NVML) read as before
  nlohmann::json none = r.to_json();
  none.erase("gpu_clocks");
  EXPECT_TRUE(LedgerRecord::from_json(none, "ledger.jsonl:1").gpu_clocks.empty());
}

}  // namespace
}  // namespace ablate
