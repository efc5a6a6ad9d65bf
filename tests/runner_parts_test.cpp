// The runner's pure parts: matrix specs (every error names file, field and valid values),
// expansion by mode, the covering array, collective bandwidth factors, the ledger, the gate's
// helpers and the Markdown tables.
#include <gtest/gtest.h>

#include <filesystem>
#include <torch/torch.h>

#include <set>

#include "core/error.h"
#include "experiments/gate/baseline.h"
#include "experiments/runner/collective_bandwidth.h"
#include "experiments/runner/combinations.h"
#include "experiments/runner/ledger.h"
#include "experiments/report/markdown_report.h"
#include "experiments/runner/matrix_spec.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace runner_parts_test {

std::string usage_message(const nlohmann::json& j) {
  try {
    parse_matrix_spec(j, "m.json");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no error";
}

nlohmann::json minimal() { return {{"mode", "full"}, {"axes", {{"sync_elim", {"off", "on"}}}}}; }

TEST(MatrixSpecTest, ErrorsNameFileFieldAndValidValues) {
  auto j = minimal();
  j["bogus"] = 1;
  EXPECT_NE(usage_message(j).find("m.json: unknown field 'bogus'; valid fields: name, workload"), std::string::npos);
  j = minimal();
  j["axes"]["sync_elim"] = {"off", "maybe"};
  EXPECT_NE(usage_message(j).find("m.json.axes.sync_elim: strategy sync_elim has no value 'maybe'; valid values: off, on"),
            std::string::npos)
      << usage_message(j);
  j = minimal();
  j["axes"]["warp_drive"] = {"on"};
  EXPECT_NE(usage_message(j).find("unknown strategy 'warp_drive'; valid strategies: prewarm"), std::string::npos);
  j = minimal();
  j["mode"] = "random";
  EXPECT_NE(usage_message(j).find("m.json.mode: unknown mode 'random'; valid modes: full, list, stack"),
            std::string::npos);
  j = minimal();
  j["workload"] = {{"frames", 80}};
  EXPECT_NE(usage_message(j).find("m.json.workload.frames: expected 4n+1 frames (e.g. 17, 81), got 80"), std::string::npos)
      << usage_message(j);
  j = minimal();
  j["workload"] = {{"preset", "huge"}};
  EXPECT_NE(usage_message(j).find("unknown preset 'huge'"), std::string::npos);
  j = minimal();
  j["workload"] = {{"prompt_mode", "sometimes"}};
  EXPECT_NE(usage_message(j).find("valid modes: repeat, unique"), std::string::npos);
  j = minimal();
  j["repetitions"] = "five";
  EXPECT_NE(usage_message(j).find("m.json.repetitions: expected an integer (64-bit), found \"five\""), std::string::npos);
  j = minimal();
  j["repetitions"] = 0;
  EXPECT_NE(usage_message(j).find("m.json.repetitions: expected 1..10000, found 0"), std::string::npos);
  j = minimal();
  j["axes"]["sync_elim"] = {"on", "on"};  // degenerate: the same value twice
  EXPECT_NE(usage_message(j).find("m.json.axes.sync_elim: strategy sync_elim lists value 'on' twice"), std::string::npos)
      << usage_message(j);
  j = {{"mode", "list"}, {"combinations", nlohmann::json::array()}};  // an empty matrix
  EXPECT_NE(usage_message(j).find("m.json.combinations: mode list needs a non-empty list"), std::string::npos);
  j = minimal();
  j["workload"] = {{"seed", 18446744073709551615ULL}};  // beyond int64
  EXPECT_NE(usage_message(j).find("m.json.workload.seed: expected an integer (64-bit)"), std::string::npos)
      << usage_message(j);
  j = {{"mode", "stack"}, {"stack", {"sync_elim=on", "sync_elim=on"}}};
  EXPECT_NE(usage_message(j).find("m.json.stack[1]: strategy sync_elim appears twice"), std::string::npos);
  j = {{"mode", "stack"}, {"axes", {{"sync_elim", {"on"}}}}};
  EXPECT_NE(usage_message(j).find("m.json.axes: only modes full, covering and factorial take axes (mode is stack)"),
            std::string::npos);
  j = {{"mode", "list"}, {"combinations", {{{"text_cache", "yes"}}}}};
  EXPECT_NE(usage_message(j).find("m.json.combinations[0]: strategy text_cache has no value 'yes'; valid values: off, on"),
            std::string::npos);
}

TEST(MatrixSpecTest, CheckedInMatricesParse) {
  int count = 0;
  for (const auto& f : std::filesystem::directory_iterator(std::string(ABLATE_SOURCE_DIR) + "/experiments/matrices")) {
    if (f.path().extension() != ".json") continue;
    ++count;
    const auto s = load_matrix_spec(f.path().string());
    EXPECT_EQ(s.name, f.path().stem().string());  // the file is named after the matrix
    // round trip through to_json keeps the spec
    EXPECT_EQ(parse_matrix_spec(s.to_json(), "rt").to_json(), s.to_json());
  }
  EXPECT_GE(count, 11);
}

std::vector<std::string> ids(const std::vector<Combination>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.id);
  return out;
}

TEST(CombinationsTest, BatchedRequestsTakesTheBatchAndIsSkippedWhereItsGateCannotCompare) {
  opt::RunConfig cpu;
  MatrixSpec s;
  s.mode = MatrixMode::kList;
  s.combinations = {{}, {{"batched_requests", "4"}}};
  auto cs = expand_combinations(s, cpu);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(requests_per_generate(s.workload, cs[0].values), 1);
  EXPECT_EQ(requests_per_generate(s.workload, cs[1].values), 4);
  EXPECT_EQ(with_requests_per_generate(s.workload, cs[1].values).batch, 4);
  EXPECT_EQ(cs[1].skip_reason, "");
  EXPECT_EQ(cs[1].tier, opt::Tier::kB);
  EXPECT_EQ(cs[1].build_key, "batched_requests=4");  // warm-ups run the batch's shapes: its own engine
  s.workload.batch = 2;
  cs = expand_combinations(s, cpu);
  EXPECT_EQ(cs[0].skip_reason, "");
  EXPECT_EQ(cs[1].skip_reason, "batched_requests: the workload already batches 2 requests per generate()");
  EXPECT_EQ(with_requests_per_generate(s.workload, cs[0].values).batch, 2);
}

TEST(CombinationsTest, ModesExpandAsDocumented) {
  opt::RunConfig cpu;
  MatrixSpec s;
  s.mode = MatrixMode::kFull;
  s.axes = {{"sync_elim", {"off", "on"}}, {"text_cache", {"off", "on"}}};
  EXPECT_EQ(ids(expand_combinations(s, cpu)),
            (std::vector<std::string>{"baseline", "text_cache=on", "sync_elim=on", "text_cache=on+sync_elim=on"}));
  s.mode = MatrixMode::kStack;
  s.stack = {{"prewarm", "dit"}, {"text_cache", "on"}, {"sync_elim", "on"}};
  const auto stack = expand_combinations(s, cpu);
  EXPECT_EQ(ids(stack), (std::vector<std::string>{"baseline", "prewarm=dit", "prewarm=dit+text_cache=on",
                                                  "prewarm=dit+text_cache=on+sync_elim=on"}));
  EXPECT_EQ(stack[0].stage, "unoptimized");
  EXPECT_EQ(stack[2].stage, "+text_cache=on");
  s.mode = MatrixMode::kOneAtATime;
  const auto one = expand_combinations(s, cpu);
  // baseline, 3 alone, full, 3 removals
  EXPECT_EQ(one.size(), 8u);
  EXPECT_EQ(one[4].stage, "full stack");
  EXPECT_EQ(one[5].id, "text_cache=on+sync_elim=on");  // full minus prewarm
  // engines: prewarm is build-affecting, so it splits the build keys
  EXPECT_EQ(stack[0].build_key, "default");
  EXPECT_EQ(stack[1].build_key, "prewarm=dit");
}

TEST(CombinationsTest, InvalidCombinationsCarryTheStrategysReason) {
  opt::RunConfig cpu;
  auto c = make_combination({{"shard", "grad_op"}}, cpu);
  EXPECT_NE(c.skip_reason.find("shard needs world size > 1"), std::string::npos) << c.skip_reason;
  c = make_combination({{"timestep_embed_once", "on"}}, cpu);
  EXPECT_EQ(c.tier, opt::Tier::kB);
  EXPECT_TRUE(c.skip_reason.empty());
  c = make_combination({{"sync_elim", "off"}}, cpu);  // baseline values are implicit
  EXPECT_EQ(c.id, "baseline");
}

TEST(CombinationsTest, CoveringArrayHoldsEveryPair) {
  std::vector<std::pair<std::string, std::vector<std::string>>> f{
      {"a", {"0", "1", "2"}}, {"b", {"0", "1"}}, {"c", {"0", "1"}}, {"d", {"0", "1"}},
      {"e", {"0", "1"}},      {"f", {"0", "1"}}, {"g", {"0", "1"}}, {"h", {"0", "1"}}};
  const auto rows = pairwise_covering_array(f);
  for (size_t i = 0; i < f.size(); ++i)
    for (size_t j = i + 1; j < f.size(); ++j)
      for (const auto& va : f[i].second)
        for (const auto& vb : f[j].second) {
          bool found = false;
          for (const auto& r : rows) found = found || (r.at(f[i].first) == va && r.at(f[j].first) == vb);
          EXPECT_TRUE(found) << f[i].first << "=" << va << " " << f[j].first << "=" << vb;
        }
  EXPECT_LE(rows.size(), 12u);  // 3 x 2 x 2^6 = 384 combinations, covered in a handful of rows
  EXPECT_GE(rows.size(), 6u);   // at least |a| x |b| rows are needed
}

TEST(CollectiveBandwidthTest, NcclTestsFactors) {
  EXPECT_DOUBLE_EQ(busbw_factor("all_gather", 8), 7.0 / 8.0);
  EXPECT_DOUBLE_EQ(busbw_factor("all_to_all", 2), 0.5);
  EXPECT_DOUBLE_EQ(busbw_factor("all_reduce", 4), 1.5);
  EXPECT_DOUBLE_EQ(busbw_factor("broadcast", 8), 1.0);
  EXPECT_THROW(busbw_factor("gossip", 2), std::invalid_argument);
  // 2 ranks each send 1 GB in all-gathers taking 100 ms in total: S = 2 GB, algbw 20 GB/s, busbw 10
  std::map<std::string, CollectiveRow> t;
  t["param_all_gather"].calls = 10;
  t["param_all_gather"].bytes = 1000000000;
  t["param_all_gather"].ms = 100.0;
  t["all_to_all"].calls = 4;
  t["all_to_all"].bytes = 500000000;
  t["all_to_all"].ms = 300.0;
  add_bandwidth(t, 2);
  EXPECT_NEAR(*t["param_all_gather"].algbw_gbps, 20.0, 1e-9);
  EXPECT_NEAR(*t["param_all_gather"].busbw_gbps, 10.0, 1e-9);
  EXPECT_NEAR(*t["all_to_all"].algbw_gbps, 500e6 / 0.3 / 1e9, 1e-9);
  EXPECT_NEAR(*t["param_all_gather"].share, 0.25, 1e-12);
}

TEST(LedgerTest, AppendsFlushesAndResumes) {
  const std::string dir = testing::fresh_dir("ledger");
  const std::string path = dir + "/l.jsonl";
  auto record = [](const std::string& id, RecordStatus status) {
    LedgerRecord r;
    r.combination = id;
    r.status = status;
    if (status == RecordStatus::kOk) r.samples_ms = {1.0, 2.0};
    return r;
  };
  {
    LedgerWriter w(path, false);
    w.write(record("baseline", RecordStatus::kOk));
    w.write(record("sync_elim=on", RecordStatus::kError));
    // flushed per record: readable while the writer is open
    EXPECT_EQ(read_ledger(path).size(), 2u);
  }
  { LedgerWriter(path, true).write(record("shard=grad_op", RecordStatus::kSkipped)); }
  const auto records = read_ledger(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(finished_combinations(records), (std::set<std::string>{"baseline", "shard=grad_op"}));  // errors rerun
  // a torn last line (a kill mid-write) is ignored, and cut before the next append; garbage earlier
  // is an error naming the line
  testing::write_text(dir + "/t.jsonl", testing::read_text(path) + "{\"schema\": \"abl");
  EXPECT_EQ(read_ledger(dir + "/t.jsonl").size(), 3u);
  { LedgerWriter(dir + "/t.jsonl", true).write(record("kv_index_copy=on", RecordStatus::kOk)); }
  const auto resumed = read_ledger(dir + "/t.jsonl");
  ASSERT_EQ(resumed.size(), 4u);
  EXPECT_EQ(resumed.back().combination, "kv_index_copy=on");
  EXPECT_EQ(resumed.back().samples_ms, (std::vector<double>{1.0, 2.0}));
  testing::write_text(dir + "/bad.jsonl", "{\"schema\":\"other/1\",\"combination\":\"x\"}\n");
  try {
    read_ledger(dir + "/bad.jsonl");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.jsonl:1.schema: expected \"ablate.ledger/1\", \"ablate.ledger/2\" or \"ablate.ledger/3\", found \"other/1\""),
              std::string::npos)
        << e.what();
  }
}

TEST(GateTest, FirstDivergenceAndVideoDistance) {
  const std::vector<std::string> a{"1", "2", "3", "4", "5", "6", "7", "8"};
  auto b = a;
  EXPECT_FALSE(first_divergence(a, b, 4).has_value());
  b[6] = "x";
  b[7] = "y";
  const auto d = first_divergence(a, b, 4);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->first, 1);
  EXPECT_EQ(d->second, 2);
  auto v = torch::zeros({2, 4, 4, 3}, torch::kUInt8);
  auto w = v.clone();
  EXPECT_TRUE(std::isinf(video_distance(v, w).psnr_db));
  w[0][0][0][0] = 16;  // one value off by 16 in 96: mse = 256 / 96
  const auto dist = video_distance(v, w);
  EXPECT_EQ(dist.max_abs, 16);
  EXPECT_NEAR(dist.psnr_db, 10 * std::log10(255.0 * 255.0 / (256.0 / 96.0)), 1e-9);
}

std::vector<LedgerRecord> typed(const std::vector<nlohmann::json>& records) {
  std::vector<LedgerRecord> out;
  for (auto r : records) {
    r["schema"] = "ablate.ledger/1";
    out.push_back(LedgerRecord::from_json(r, "test"));
  }
  return out;
}

TEST(MarkdownReportTest, StackTableRatios) {
  auto rec = [](const std::string& stage, double median, bool md5_ok, size_t depth = 0) {
    nlohmann::json strategies = nlohmann::json::object();
    const char* names[] = {"prewarm", "text_cache", "sync_elim"};
    for (size_t i = 0; i < depth; ++i) strategies[names[i]] = "on";
    return nlohmann::json{{"combination", stage}, {"stage", stage}, {"status", "ok"}, {"md5_ok", md5_ok},
                          {"strategies", strategies},
                          {"stats", {{"median", median}, {"min", median}, {"max", median}, {"cv", 0.0}}},
                          {"samples_ms", {median, median, median}}, {"syncs", {{"dit", 0}, {"total", 1}}}};
  };
  // in execution order (engine groups, resumed runs); the table puts the stages back in stack order
  const std::vector<nlohmann::json> records{rec("unoptimized", 22146, true), rec("+sync_elim", 13523, false, 3),
                                            rec("+prewarm", 15564, true, 1), rec("+text_cache", 15134, true, 2)};
  const std::string t = pr_stack_table(typed(records));
  EXPECT_NE(t.find("| unoptimized | 22146.0 | - | - | yes |"), std::string::npos) << t;
  EXPECT_NE(t.find("| +prewarm | 15564.0 | 1.42x | 1.42x | yes |"), std::string::npos) << t;
  EXPECT_NE(t.find("| +sync_elim | 13523.0 | 1.64x | 1.12x | **no** |"), std::string::npos) << t;
  EXPECT_LT(t.find("| +text_cache |"), t.find("| +sync_elim |")) << t;
  const std::string m = matrix_table(typed({rec("baseline", 100, true), nlohmann::json{{"combination", "shard=grad_op"},
                                                                                     {"status", "skipped"},
                                                                                     {"reason", "needs world size > 1"},
                                                                                     {"tier", "A"}}}));
  EXPECT_NE(m.find("| shard=grad_op | skipped | needs world size > 1 |"), std::string::npos) << m;
  // an error's backtrace and a '|' in its message stay out of the table's cells
  const std::string e = matrix_table(typed({nlohmann::json{{"combination", "cuda_graph=on"},
                                                           {"status", "error"},
                                                           {"reason", "capture failed | out of memory\nException raised from x"},
                                                           {"tier", "A"}}}));
  EXPECT_NE(e.find("| cuda_graph=on | error | capture failed \\| out of memory | |"), std::string::npos) << e;
  EXPECT_EQ(e.find("Exception raised"), std::string::npos) << e;
}

}  // namespace runner_parts_test
}  // namespace ablate
