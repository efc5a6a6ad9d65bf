// GPU clocks (profiling/gpu_clocks.h): a window's summary, the findings that make a run INVALID or
// warn, the sampler against a fake NVML (tests/fake_nvml.cpp), why it is absent, and the ledger's
// round trip of the windows.
#include <gtest/gtest.h>

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
}

TEST(GpuClocksTest, ReasonNamesKeepUnknownBits) {
  EXPECT_EQ(clock_event_reason_names(0x1 | 0x80 | 0x1000),
            (std::vector<std::string>{"gpu_idle", "hw_power_brake_slowdown", "0x1000"}));
  EXPECT_TRUE(clock_event_reason_names(0).empty());
}

TEST(GpuClocksTest, ThrottledRepetitionIsInvalidSlowdownWarnsPowerCapIsNormal) {
  const auto normal = ClockWindow::summarize({sample(1935, 0x4), sample(1980, 0x4)}, 1980);
  const auto hot = ClockWindow::summarize({sample(1800, 0x20), sample(1900, 0)}, 1980);
  const auto slow = ClockWindow::summarize({sample(900, 0x8), sample(1100, 0x8)}, 1980);
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
  // an unknown maximum judges no clock
  EXPECT_TRUE(judge_clocks({ClockWindow::summarize({sample(900, 0)}, 0)}).invalid.empty());
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
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  const ClockWindow w = sampler->end();
  EXPECT_GE(w.samples, 3);  // one at begin, the thread's, one at end
  EXPECT_DOUBLE_EQ(w.sm_mhz_min, 1500);
  EXPECT_DOUBLE_EQ(w.sm_mhz_max, 1980);
  EXPECT_DOUBLE_EQ(w.power_w_max, 650);
  EXPECT_EQ(w.temperature_c_max, 45);
  EXPECT_EQ(clock_event_reason_names(w.reasons), (std::vector<std::string>{"sw_power_cap", "hw_thermal_slowdown"}));
  EXPECT_DOUBLE_EQ(w.reason_share.at("sw_power_cap"), 1.0);
  // outside a window nothing is kept: the next window starts empty
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  sampler->begin();
  const ClockWindow next = sampler->end();
  EXPECT_GE(next.samples, 2);
  EXPECT_LT(next.samples, w.samples + 10);
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
}

TEST(GpuClocksTest, CpuDeviceHasNoClocksUnlessNvmlIsInjected) {
  if (std::getenv("ABLATE_NVML_LIBRARY")) GTEST_SKIP() << "ABLATE_NVML_LIBRARY is set for this process";
  EXPECT_EQ(gpu_clock_sampler(torch::kCPU), nullptr);
  EXPECT_EQ(gpu_clocks_status(torch::kCPU), "unavailable: a cpu device has no GPU clocks");
}

TEST(GpuClocksTest, LedgerKeepsTheWindows) {
  LedgerRecord r;
  r.samples_ms = {10, 11};
  r.gpu_clocks = {ClockWindow::summarize({sample(1980, 0x4), sample(1700, 0x4 | 0x8)}, 1980),
                  ClockWindow::summarize({{1900, -1, -1, 0}}, 0)};
  const LedgerRecord back = LedgerRecord::from_json(r.to_json(), "ledger.jsonl:1");
  ASSERT_EQ(back.gpu_clocks.size(), 2u);
  EXPECT_EQ(back.gpu_clocks[0].to_json(), r.gpu_clocks[0].to_json());
  EXPECT_EQ(back.gpu_clocks[0].reasons, 0xCu);
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
  // records without the field (older ledgers, no NVML) read as before
  nlohmann::json none = r.to_json();
  none.erase("gpu_clocks");
  EXPECT_TRUE(LedgerRecord::from_json(none, "ledger.jsonl:1").gpu_clocks.empty());
}

}  // namespace
}  // namespace ablate
