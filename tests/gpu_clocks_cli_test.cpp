// GPU clocks as a user meets them, through a fake NVML (tests/fake_nvml.cpp, ABLATE_NVML_LIBRARY):
// `generate` prints and records each run's SM clock and event reasons; `run` keeps the windows in
// the ledger and marks a combination whose GPU ran far below its maximum clock INVALID.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/cli_test_util.h"

namespace ablate {
namespace gpu_clocks_cli_test {
using testing::contains;
using testing::run_shell;

std::string with_fake_nvml(const std::string& sm_mhz, const std::string& reasons) {
  return std::string("ABLATE_NVML_LIBRARY=") + ABLATE_FAKE_NVML + " FAKE_NVML_SM_MHZ=" + sm_mhz +
         " FAKE_NVML_REASONS=" + reasons + " ABLATE_GPU_CLOCK_PERIOD_MS=2 " + testing::ablate_binary() + " ";
}

TEST(GpuClocksCliTest, GenerateRecordsEachRunsClocks) {
  const std::string dir = testing::fresh_dir("gpu-clocks-generate");
  const auto r = run_shell(with_fake_nvml("1980,1755", "0x4") + "generate --preset tiny --size 32*32 --frames 9 --runs 2 --json " +
                           dir + "/out.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "| SM clock 1755-1980 MHz sw_power_cap 100 %")) << r.output;
  const auto j = testing::read_json(dir + "/out.json");
  EXPECT_EQ(j["environment"]["gpu_clocks"], "nvml");
  ASSERT_EQ(j["runs"].size(), 2u);
  for (const auto& run : j["runs"]) {
    const auto& c = run["gpu_clocks"];
    EXPECT_GE(c["sm_mhz"]["samples"].get<int64_t>(), 3) << c.dump();  // the thread's, 2 ms apart, and end()'s
    EXPECT_EQ(c["sm_mhz"]["min"], 1755);
    EXPECT_EQ(c["sm_mhz"]["max"], 1980);
    EXPECT_EQ(c["sm_mhz"]["rated"], 1980);
    EXPECT_EQ(c["reasons"], nlohmann::json({"sw_power_cap"}));
    EXPECT_EQ(c["power_w"]["max"], 650);
  }
  // without NVML: the environment says why, and runs carry no clocks
  const auto plain = run_shell("ABLATE_NVML_LIBRARY=/nonexistent/nvml.so " + testing::ablate_binary() +
                               " generate --preset tiny --size 32*32 --frames 9 --runs 1 --json " + dir + "/plain.json");
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  const auto p = testing::read_json(dir + "/plain.json");
  EXPECT_EQ(p["environment"]["gpu_clocks"].get<std::string>().rfind("unavailable: cannot load /nonexistent/nvml.so (", 0), 0u)
      << p["environment"].dump();
  EXPECT_FALSE(p["runs"][0].contains("gpu_clocks"));
  EXPECT_EQ(p["md5"], j["md5"]);  // sampling changes no bit
  // --no-gpu-clocks: NVML is there, but no run samples it
  const auto off = run_shell(with_fake_nvml("1980", "0") + "generate --preset tiny --size 32*32 --frames 9 --runs 1 --no-gpu-clocks --json " +
                             dir + "/off.json");
  ASSERT_EQ(off.exit_code, 0) << off.output;
  EXPECT_FALSE(contains(off.output, "SM clock")) << off.output;
  const auto o = testing::read_json(dir + "/off.json");
  EXPECT_FALSE(o["runs"][0].contains("gpu_clocks"));
  EXPECT_EQ(o["environment"]["gpu_clocks"], "off (--no-gpu-clocks)");
}

TEST(GpuClocksCliTest, RunMarksAThrottledCombinationInvalid) {
  const std::string out = testing::fresh_dir("gpu-clocks-run");
  const auto r = run_shell(with_fake_nvml("900", "0x8") +
                           "run --preset tiny --size 32*32 --frames 9 --repetitions 2 --warmup 1 --axis sync_elim=off,on --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto records = testing::read_json_lines(out + "/ledger.jsonl");
  ASSERT_EQ(records.size(), 2u);
  const std::string reason =
      "GPU clock throttled in repetition 1: the SM clock averaged 900 MHz, below 75 % of its 1980 MHz maximum "
      "(event reasons: hw_slowdown)";
  for (const auto& rec : records) {
    EXPECT_EQ(rec["validity"], "INVALID") << rec.dump();
    ASSERT_EQ(rec["gpu_clocks"].size(), 2u);  // one window per timed repetition
    EXPECT_EQ(rec["gpu_clocks"][1]["reasons"], nlohmann::json({"hw_slowdown"}));
    const auto why = rec["invalid_reasons"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(why.begin(), why.end(), reason), why.end()) << rec["invalid_reasons"].dump();
    const auto warnings = rec["warnings"].get<std::vector<std::string>>();
    EXPECT_NE(std::find(warnings.begin(), warnings.end(), "GPU slowdown in 2 of 2 repetitions: hw_slowdown"), warnings.end())
        << rec["warnings"].dump();
  }
  const std::string md = testing::read_text(out + "/report.md");
  EXPECT_TRUE(contains(md, reason)) << md;
  EXPECT_TRUE(contains(md, "## GPU clocks (NVML, over the timed repetitions)")) << md;
  EXPECT_TRUE(contains(md, "| sync_elim=on | 900 | 900-900 | 650 | hw_slowdown 100 % |")) << md;
}

}  // namespace gpu_clocks_cli_test
}  // namespace ablate
