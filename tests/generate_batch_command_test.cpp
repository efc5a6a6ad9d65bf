// `ablate generate --batch B`: B requests (seeds seed..seed+B-1) in one generate(), each request's
// MD5 and latency printed and in the JSON with the batch's throughput; --batch 1 is the unbatched
// run; bad --batch values exit 2 naming the flag and the range; at world 2 (two Gloo ranks) the
// ranks agree on the batch; --set batched_requests=B is the same batch, and a matrix varies it. (Request k against its unbatched run: pipeline_batch_test.)
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <torch/torch.h>
#include <vector>

#include "tests/cli_test_util.h"

namespace ablate {
namespace generate_batch_command_test {

using testing::expect_usage_error;
using testing::run_ablate;

const std::string kTiny = "generate --preset tiny --size 32*32 --frames 9 --threads 1";

std::string scratch() {
  static const std::string dir = testing::make_scratch_dir("generate-batch");
  return dir;
}

std::string unbatched_md5(int64_t seed) {
  const std::string path = scratch() + "/alone-" + std::to_string(seed) + ".json";
  const auto r = run_ablate(kTiny + " --seed " + std::to_string(seed) + " --json " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return testing::read_json(path)["md5"];
}

TEST(GenerateBatchCommandTest, BadBatchValuesExitTwoNamingTheFlagAndRange) {
  for (const char* bad : {"0", "-1", "65", "1000000"})
    expect_usage_error(kTiny + " --batch " + bad, std::string("--batch: '") + bad + "' is out of range; expected an integer in [1, 64]");
  expect_usage_error(kTiny + " --batch two", "--batch: 'two' is not an integer");
  // the cross-check's noise files and dumps follow one request
  expect_usage_error(kTiny + " --batch 2 --dump-intermediates " + scratch() + "/dump",
                     "--noise and --dump-intermediates follow one request; with --batch 2 pass --batch 1");
}

TEST(GenerateBatchCommandTest, BatchOfThreePrintsEachRequestsMd5LatencyAndThroughput) {
  const std::string path = scratch() + "/batch3.json";
  const auto r = run_ablate(kTiny + " --seed 5 --batch 3 --json " + path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = testing::read_json(path);
  EXPECT_EQ(j["workload"]["batch"], 3);
  const auto& run = j["runs"][0];
  EXPECT_EQ(run["batch"], 3);
  ASSERT_EQ(run["requests"].size(), 3u);
  EXPECT_GT(run["throughput_videos_per_s"].get<double>(), 0.0);
  EXPECT_NEAR(run["throughput_videos_per_s"].get<double>(), 3000.0 / run["sample_ms"].get<double>(), 1e-9);
  double last_latency = 0;
  for (int b = 0; b < 3; ++b) {
    const auto& q = run["requests"][b];
    EXPECT_EQ(q["seed"], 5 + b);
    const std::string md5 = q["md5"];
    EXPECT_EQ(md5.size(), 32u);
    if (b > 0) {
      EXPECT_NE(md5, run["requests"][b - 1]["md5"].get<std::string>()) << "distinct seeds, distinct videos";
    }
    EXPECT_NE(r.output.find("request " + std::to_string(b) + " (seed " + std::to_string(5 + b) + "): md5 " + md5),
              std::string::npos)
        << r.output;
    // decoded one after another: each request's video is done after the one before
    const double latency = q["latency_ms"];
    EXPECT_GT(latency, last_latency) << b;
    EXPECT_LE(latency, run["generate_ms"].get<double>() + 1e-6) << b;
    last_latency = latency;
  }
  EXPECT_EQ(j["md5"], run["requests"][0]["md5"]);
  EXPECT_EQ(j["request_md5s"].size(), 3u);
  EXPECT_NE(r.output.find("batch 3: generate "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" videos/s"), std::string::npos) << r.output;
}

std::vector<std::string> request_md5s(const std::string& args, const std::string& name) {
  const std::string path = scratch() + "/" + name + ".json";
  const auto r = run_ablate(kTiny + " --batch 2 --json " + path + args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const auto j = testing::read_json(path);
  std::vector<std::string> md5s;
  for (const auto& q : j["runs"][0]["requests"]) md5s.push_back(q["md5"]);
  return md5s;
}

// The exact CPU strategies (ci-check-tiny's full stack) leave a batch's videos as they are.
TEST(GenerateBatchCommandTest, ExactCpuStackGivesTheBatchsMd5s) {
  const auto plain = request_md5s("", "plain");
  ASSERT_EQ(plain.size(), 2u);
  const std::string stack =
      " --set prewarm=full --set text_cache=on --set sync_elim=on --set kv_index_copy=on --set sampler_host_tables=on"
      " --set text_embed_once=on --set timestep_embed_once=on --set vae_stream=on --set vae_encode_fixed_point=on";
  EXPECT_EQ(request_md5s(stack, "stack"), plain);
  EXPECT_EQ(request_md5s(" --set persistent=per_request --set prewarm=dit", "per-request"), plain);
  // prewarm warmed the batch's shapes, not one request's
  for (const char* name : {"stack", "per-request"})
    EXPECT_EQ(testing::read_json(scratch() + "/" + name + ".json")["strategy_counters"]["prewarm"]["warm_batch"], 2) << name;
}

// A matrix spec's workload may ask for a batch: the runner measures batched generate() calls and
// the ledger's workload (and so the fingerprint) carries the batch.
TEST(GenerateBatchCommandTest, MatrixWorkloadBatchRunsBatchedAndIsInTheLedger) {
  const std::string spec = scratch() + "/spec.json", out = scratch() + "/matrix";
  testing::write_text(spec, R"({"name": "batch", "workload": {"preset": "tiny", "device": "cpu", "size": "32*32",
    "frames": 9, "seed": 5, "batch": 2, "threads": 1}, "mode": "full", "axes": {"sync_elim": ["off", "on"]},
    "warmup": 0, "repetitions": 1})");
  const auto r = run_ablate("run --matrix " + spec + " --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto records = testing::read_json_lines(out + "/ledger.jsonl");
  ASSERT_EQ(records.size(), 2u);
  for (const auto& rec : records) {
    EXPECT_EQ(rec["workload"]["batch"], 2) << rec.dump();
    EXPECT_EQ(rec["fingerprint"]["workload"]["batch"], 2) << rec.dump();
  }
  testing::write_text(spec, R"({"name": "batch", "workload": {"preset": "tiny", "batch": 0}, "axes": {}})");
  expect_usage_error("run --matrix " + spec + " --out " + out + "-bad", ".workload.batch: expected 1..64 requests per generate(), found 0");
}

// batched_requests is the batch as a strategy value: generate takes it as --batch, and a matrix
// varies it, each batched combination's samples being its time per request.
TEST(GenerateBatchCommandTest, BatchedRequestsIsTheBatchAsAStrategyValue) {
  const std::string path = scratch() + "/strategy-batch.json";
  const auto r = run_ablate(kTiny + " --set batched_requests=2 --json " + path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = testing::read_json(path);
  std::vector<std::string> md5s;
  for (const auto& q : j["runs"][0]["requests"]) md5s.push_back(q["md5"]);
  EXPECT_EQ(md5s, request_md5s("", "plain-for-strategy"));
  expect_usage_error(kTiny + " --batch 2 --set batched_requests=4",
                     "--batch 2 and --set batched_requests=4 both set the requests per generate() (4); give one of them");
  expect_usage_error(kTiny + " --set batched_requests=3",
                     "--set: strategy batched_requests has no value '3'; valid values: off, 2, 4");
}

TEST(GenerateBatchCommandTest, MatrixVariesTheBatchAndRecordsTimePerRequest) {
  const std::string out = scratch() + "/batch-axis";
  const std::string tiny = "--preset tiny --size 32*32 --frames 9 --warmup 1 --repetitions 2";
  const auto r = run_ablate("run " + tiny + " --axis batched_requests=off,2 --out " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto records = testing::read_json_lines(out + "/ledger.jsonl");
  ASSERT_EQ(records.size(), 2u);
  for (const auto& rec : records) {
    ASSERT_EQ(rec["status"], "ok") << rec.dump();
    const bool batched = rec["combination"] == "batched_requests=2";
    if (batched) {
      EXPECT_EQ(rec["counters"]["batched_requests"]["requests_per_generate"], 2) << rec["counters"].dump();
    }
    // samples per request: the batch's generate() / 2, which the record keeps beside them; the
    // baseline's samples are its generate()
    ASSERT_EQ(rec["samples_ms"].size(), 2u);
    ASSERT_EQ(rec.contains("generate_samples_ms"), batched) << rec.dump();
    for (size_t i = 0; batched && i < 2; ++i)
      EXPECT_NEAR(rec["samples_ms"][i].get<double>() * 2, rec["generate_samples_ms"][i].get<double>(), 1e-6) << rec.dump();
    // request 0 of each batch against the baseline's request: within the declared tier-B bound
    if (batched) {
      EXPECT_EQ(rec["tier"], "B");
    }
  }
  // unique requests: request 0 of a batch is another request than the baseline's of that round
  const auto u = run_ablate("run " + tiny + " --prompt-mode unique --axis batched_requests=off,2 --out " + out + "-unique");
  ASSERT_EQ(u.exit_code, 0) << u.output;
  const auto unique = testing::read_json_lines(out + "-unique/ledger.jsonl");
  ASSERT_EQ(unique.size(), 2u);
  const auto& skipped = unique[0]["combination"] == "baseline" ? unique[1] : unique[0];
  EXPECT_EQ(skipped["status"], "skipped");
  EXPECT_NE(skipped["reason"].get<std::string>().find("batched_requests needs repeat requests"), std::string::npos)
      << skipped.dump();
}

TEST(GenerateBatchCommandTest, BatchOfOneIsTheUnbatchedRun) {
  const std::string path = scratch() + "/batch1.json";
  const auto r = run_ablate(kTiny + " --seed 5 --batch 1 --json " + path);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto j = testing::read_json(path);
  EXPECT_EQ(j["md5"], unbatched_md5(5));
  EXPECT_FALSE(j["workload"].contains("batch")) << "the default stays out of the fingerprint";
  EXPECT_FALSE(j["runs"][0].contains("requests"));
}

TEST(GenerateBatchCommandTest, WorldTwoRanksAgreeOnABatchNearItsRequestsAlone) {
  const std::string path = scratch() + "/batch2-w2.json", latents = scratch() + "/batch2-w2.pt";
  const auto r = run_ablate("launch --nproc 2 -- " + kTiny + " --seed 5 --batch 2 --json " + path + " --save-latents " + latents);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string alone = scratch() + "/alone-w2.pt";
  const auto a = run_ablate("launch --nproc 2 -- " + kTiny + " --seed 5 --save-latents " + alone);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  torch::Tensor batched, unbatched;  // request 0's latents (--save-latents keeps request 0's)
  torch::load(batched, latents);
  torch::load(unbatched, alone);
  // the declared bound of pipeline_batch_test (CPU GEMMs of B*L rows round some rows differently)
  EXPECT_LE((batched - unbatched).abs().max().item<double>(), 1e-4);
  const auto j = testing::read_json(path);
  EXPECT_EQ(j["world_size"], 2);
  const auto& run = j["runs"][0];
  ASSERT_EQ(run["requests"].size(), 2u);
  EXPECT_NE(run["requests"][0]["md5"], run["requests"][1]["md5"]);
  ASSERT_EQ(run["rank_latent_md5s"].size(), 2u);
  EXPECT_EQ(run["rank_latent_md5s"][0], run["rank_latent_md5s"][1]) << "the ranks hold the same batch";
  // one seed broadcast for the batch (its first generate()), 4 all-to-alls per block per forward
  EXPECT_EQ(run["collectives"]["broadcast"]["calls"], 1);
  EXPECT_EQ(run["dit_forwards"], 5);
}

}  // namespace generate_batch_command_test
}  // namespace ablate
