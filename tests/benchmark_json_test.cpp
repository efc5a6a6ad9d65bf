// Google Benchmark JSON from ledger records: GB's field set and order of entries, aggregates,
// the context block, errors, and Debian's compare.py reading two such files.
#include "experiments/report/benchmark_json.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <sstream>

#include "tests/cli_test_util.h"

namespace ablate {
namespace benchmark_json_test {

using nlohmann::json;

json ok_record(const std::string& combination, const std::vector<double>& samples) {
  return json{{"schema", "ablate.ledger/1"},
              {"matrix", "tiny-cpu"},
              {"combination", combination},
              {"status", "ok"},
              {"tier", "A"},
              {"md5_ok", true},
              {"workload", {{"preset", "tiny"}, {"device", "cpu"}, {"world_size", 1}}},
              {"environment", {{"git_commit", "abc123"}, {"torch_version", "1.13.1"}, {"build_type", "Release"}}},
              {"repetitions", samples.size()},
              {"warmup", 1},
              {"samples_ms", samples}};
}

json skipped_record(const std::string& combination) {
  return json{{"schema", "ablate.ledger/1"},
              {"combination", combination},
              {"status", "skipped"},
              {"reason", "needs world_size > 1"}};
}

// The records as the ledger reader gives them.
std::vector<LedgerRecord> typed(const std::vector<json>& records) {
  std::vector<LedgerRecord> out;
  for (const auto& r : records) out.push_back(LedgerRecord::from_json(r, "test"));
  return out;
}

std::set<std::string> keys(const json& j) {
  std::set<std::string> out;
  for (auto it = j.begin(); it != j.end(); ++it) out.insert(it.key());
  return out;
}

std::vector<double> scaled(std::vector<double> x, double factor) {
  for (double& v : x) v *= factor;
  return x;
}

// 9 repetitions: compare.py's UTEST_OPTIMAL_REPETITIONS, so it prints no "unreliable" warning.
const std::vector<double> kBase = {100, 102, 98, 101, 99, 100, 103, 97, 100};

TEST(BenchmarkJsonTest, EntriesHaveGoogleBenchmarksFields) {
  const json out = benchmark_json(typed({ok_record("baseline", {10, 12, 14})}), nullptr);
  const json& b = out["benchmarks"];
  ASSERT_EQ(b.size(), 3u + 4u);
  // The keys GB 1.7.1 writes for a repetition and for an aggregate (manual time, no counters).
  const std::set<std::string> iteration = {"name", "family_index", "per_family_instance_index", "run_name",
                                           "run_type", "repetitions", "repetition_index", "threads",
                                           "iterations", "real_time", "cpu_time", "time_unit"};
  const std::set<std::string> aggregate = {"name", "family_index", "per_family_instance_index", "run_name",
                                           "run_type", "repetitions", "threads", "aggregate_name",
                                           "aggregate_unit", "iterations", "real_time", "cpu_time", "time_unit"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(keys(b[i]), iteration) << b[i].dump();
    EXPECT_EQ(b[i]["name"], "generate/baseline");
    EXPECT_EQ(b[i]["run_name"], "generate/baseline");
    EXPECT_EQ(b[i]["run_type"], "iteration");
    EXPECT_EQ(b[i]["repetition_index"], i);
    EXPECT_EQ(b[i]["repetitions"], 3);
    EXPECT_EQ(b[i]["iterations"], 1);
    EXPECT_EQ(b[i]["threads"], 1);
    EXPECT_EQ(b[i]["time_unit"], "ms");
    EXPECT_EQ(b[i]["cpu_time"], b[i]["real_time"]);
  }
  EXPECT_DOUBLE_EQ(b[1]["real_time"].get<double>(), 12.0);
  const char* names[] = {"mean", "median", "stddev", "cv"};
  for (int i = 0; i < 4; ++i) {
    const json& a = b[3 + i];
    EXPECT_EQ(keys(a), aggregate) << a.dump();
    EXPECT_EQ(a["name"], std::string("generate/baseline_") + names[i]);
    EXPECT_EQ(a["run_name"], "generate/baseline");
    EXPECT_EQ(a["run_type"], "aggregate");
    EXPECT_EQ(a["aggregate_name"], names[i]);
    EXPECT_EQ(a["aggregate_unit"], i == 3 ? "percentage" : "time");
    EXPECT_EQ(a["iterations"], 3);
  }
  EXPECT_DOUBLE_EQ(b[3]["real_time"].get<double>(), 12.0);  // mean
  EXPECT_DOUBLE_EQ(b[4]["real_time"].get<double>(), 12.0);  // median
  EXPECT_DOUBLE_EQ(b[5]["real_time"].get<double>(), 2.0);   // sample stddev (ddof 1)
  EXPECT_DOUBLE_EQ(b[6]["real_time"].get<double>(), 2.0 / 12.0);  // cv as a fraction
}

TEST(BenchmarkJsonTest, SkippedAndErrorRecordsAreLeftOutAndFamiliesCountOkOnes) {
  json error = skipped_record("cuda_graph=on");
  error["status"] = "error";
  const json out = benchmark_json(typed({skipped_record("param_shard=on"), ok_record("baseline", {1, 2}), error,
                                         ok_record("sync_elim=on", {1, 2})}),
                                  nullptr);
  ASSERT_EQ(out["benchmarks"].size(), 2u * (2 + 4));
  for (const json& e : out["benchmarks"]) {
    const bool first = e["run_name"] == "generate/baseline";
    EXPECT_TRUE(first || e["run_name"] == "generate/sync_elim=on") << e.dump();
    EXPECT_EQ(e["family_index"], first ? 0 : 1);
    EXPECT_EQ(e["per_family_instance_index"], 0);
  }
}

TEST(BenchmarkJsonTest, OneSampleHasNoAggregatesAsInGoogleBenchmark) {
  const json out = benchmark_json(typed({ok_record("baseline", {5})}), nullptr);
  ASSERT_EQ(out["benchmarks"].size(), 1u);
  EXPECT_EQ(out["benchmarks"][0]["run_type"], "iteration");
}

TEST(BenchmarkJsonTest, GpuClockWindowsBecomeUserCountersOfTheirRepetitions) {
  json rec = ok_record("baseline", {5, 6});
  const auto window = [](double mean, double min, double watts) {
    return json{{"samples", 3}, {"sm_mhz", {{"min", min}, {"mean", mean}, {"max", 1980}, {"rated", 1980}}},
                {"power_w", {{"mean", watts - 10}, {"max", watts}}}, {"reasons", {"sw_power_cap"}}};
  };
  rec["gpu_clocks"] = {window(1950, 1900, 690), window(1900, 1680, 700)};
  const json out = benchmark_json(typed({rec}), nullptr);
  ASSERT_EQ(out["benchmarks"].size(), 2u + 4u);  // 2 iterations and 4 aggregates
  EXPECT_EQ(out["benchmarks"][0]["sm_mhz_mean"], 1950);
  EXPECT_EQ(out["benchmarks"][1]["sm_mhz_min"], 1680);
  EXPECT_EQ(out["benchmarks"][1]["power_w_max"], 700);
  EXPECT_FALSE(out["benchmarks"][2].contains("sm_mhz_mean"));  // aggregates carry none
  // without a window per repetition, no counters
  rec["gpu_clocks"] = {window(1950, 1900, 690)};
  EXPECT_FALSE(benchmark_json(typed({rec}), nullptr)["benchmarks"][0].contains("sm_mhz_mean"));
}

TEST(BenchmarkJsonTest, ContextHasGoogleBenchmarksKeysTheEnvironmentAndTheCallersOverrides) {
  const json out = benchmark_json(typed({skipped_record("x=on"), ok_record("baseline", {1, 2})}),
                                  json{{"host_name", "node7"}, {"git_commit", "override"}});
  const json& c = out["context"];
  for (const char* key : {"date", "host_name", "executable", "num_cpus", "mhz_per_cpu", "cpu_scaling_enabled",
                          "caches", "load_avg", "library_build_type", "json_schema_version"}) {
    EXPECT_TRUE(c.contains(key)) << key;
  }
  EXPECT_EQ(c["host_name"], "node7");
  EXPECT_EQ(c["git_commit"], "override");
  EXPECT_EQ(c["torch_version"], "1.13.1");
  EXPECT_EQ(c["library_build_type"], "release");  // GB's lower case, from CMake's "Release"
  EXPECT_EQ(c["matrix"], "tiny-cpu");
  EXPECT_EQ(c["workload"]["preset"], "tiny");
  EXPECT_EQ(c["ledger_schema"], "ablate.ledger/1");
}

TEST(BenchmarkJsonTest, HostContextReadsThisMachine) {
  const json c = benchmark_host_context("ablate");
  EXPECT_EQ(c["executable"], "ablate");
  EXPECT_GT(c["num_cpus"].get<int64_t>(), 0);
  EXPECT_TRUE(c["caches"].is_array());
  EXPECT_TRUE(std::regex_match(c["date"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d)")))
      << c["date"];
  // Machine facts go through the context argument and win over the defaults.
  EXPECT_EQ(benchmark_json(typed({ok_record("baseline", {1})}), c)["context"]["num_cpus"], c["num_cpus"]);
}

TEST(BenchmarkJsonTest, BadRecordsThrowSayingWhatWasExpected) {
  LedgerRecord no_samples = LedgerRecord::from_json(ok_record("sync_elim=on", {1}), "test");
  no_samples.samples_ms.clear();
  try {
    benchmark_json({no_samples}, nullptr);
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("'sync_elim=on': expected a non-empty samples_ms"), std::string::npos)
        << e.what();
  }
  json short_run = ok_record("baseline", {1, 2});
  short_run["repetitions"] = 5;
  try {
    benchmark_json(typed({short_run}), nullptr);
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("expected 5 samples (its repetitions), but got 2"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(benchmark_json({}, json::array()), std::invalid_argument);
}

TEST(BenchmarkJsonTest, AnAdaptiveRecordCountsToItsStoppingPoint) {
  LedgerRecord stopped = LedgerRecord::from_json(ok_record("sync_elim=on", {1, 2, 3}), "test");
  stopped.repetitions = 7;
  stopped.adaptive = AdaptiveStop{};
  stopped.adaptive->stopped_at = 3;
  EXPECT_EQ(benchmark_json({stopped}, nullptr)["benchmarks"].size(), 3u + 4u);  // 3 repetitions + 4 aggregates
  stopped.adaptive->stopped_at = 5;
  try {
    benchmark_json({stopped}, nullptr);
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("expected 5 samples (its adaptive stopping point), but got 3"),
              std::string::npos)
        << e.what();
  }
}

// Debian's libbenchmark-tools compare.py diffs two of our files like two GB runs: the stacked
// combination, 20 % faster in B, shows -0.2000 on every repetition and aggregate line.
TEST(BenchmarkJsonTest, DebiansComparePyReadsTwoLedgers) {
  const std::string compare_py = "/usr/share/benchmark/compare.py";
  ASSERT_TRUE(std::ifstream(compare_py).good())
      << compare_py << " is missing: run scripts/install-deps.sh (package libbenchmark-tools)";
  const std::string stacked = "sync_elim=on+text_cache=on";
  const json a = benchmark_json(typed({ok_record("baseline", kBase), ok_record(stacked, kBase), skipped_record("p=on")}),
                                nullptr);
  const json b = benchmark_json(typed({ok_record("baseline", kBase), ok_record(stacked, scaled(kBase, 0.8))}), nullptr);
  const std::string dir = testing::make_scratch_dir("benchmark_json_");
  testing::write_text(dir + "/a.json", a.dump(2));
  testing::write_text(dir + "/b.json", b.dump(2));
  // Debian's python3, which python3-scipy installs into (a pyenv python3 on PATH lacks scipy).
  const testing::CommandResult r = testing::run_shell("/usr/bin/python3 " + compare_py + " --no-color benchmarks " +
                                                 dir + "/a.json " + dir + "/b.json");
  ASSERT_EQ(r.exit_code, 0) << r.output << "\n(compare.py needs python3-scipy and python3-numpy: run "
                            << "scripts/install-deps.sh)";
  // e.g. "generate/sync_elim=on+text_cache=on_median   -0.2000   -0.2000   100   80   100   80"
  const std::string name = std::regex_replace(stacked, std::regex(R"([+=])"), R"(\$&)");
  const std::regex faster("^generate/" + name + "(_mean|_median)?\\s+-0\\.2000\\s+-0\\.2000\\s");
  const std::regex same("^generate/baseline(_mean|_median)?\\s+\\+0\\.0000\\s+\\+0\\.0000\\s");
  int faster_lines = 0, same_lines = 0;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    faster_lines += std::regex_search(line, faster);
    same_lines += std::regex_search(line, same);
  }
  EXPECT_EQ(faster_lines, int(kBase.size()) + 2) << r.output;  // 9 repetitions + mean + median
  EXPECT_EQ(same_lines, int(kBase.size()) + 2) << r.output;
  EXPECT_NE(r.output.find("generate/" + stacked + "_pvalue"), std::string::npos) << r.output;  // the U test ran
}

}  // namespace benchmark_json_test
}  // namespace ablate
