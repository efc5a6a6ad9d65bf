// Ledger records: the typed record round-trips through JSON, reads the committed ablate.ledger/1
// ledgers, names the file, line and field of anything malformed, and `ablate report` on every
// committed ledger writes the very tables committed beside it.
#include "experiments/runner/ledger_record.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "experiments/runner/ledger.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace ledger_record_test {
namespace fs = std::filesystem;

LedgerRecord full_record() {
  LedgerRecord r;
  r.matrix = "m";
  r.mode = "full";
  r.combination = "sync_elim=on";
  r.stage = r.combination;
  r.strategies = {{"sync_elim", "on"}};
  r.samples_ms = {10, 11, 12};
  r.cold_ms = 30;
  r.stats = SampleStats{11, 11, 1, 0.09, 10, 12, 10, 12};
  r.phases_ms = {{"chunk[0]", 3.5}, {"vae_decode", 4}};
  r.collectives["all_to_all"] = CollectiveRow{8, 1024, 2.5, 0.4, 0.2, 1.0};
  r.syncs = SyncCounts{1, 0, 2, std::nullopt};
  r.peak_memory_bytes = {100, 200};
  r.md5 = std::string(32, 'a');
  r.request_md5s = {std::string(32, 'a'), std::string(32, 'b')};
  r.rank_latent_md5s = {std::string(32, 'c'), std::string(32, 'c')};
  r.latency_ms = {{"first_chunk", 5}, {"first_frame", 9}};
  r.gate.reference = "this run's baseline combination";
  r.gate.md5_ok = false;
  r.gate.failing_request = 1;
  r.gate.first_divergence = std::make_pair(int64_t{2}, int64_t{3});
  r.gate.psnr_db = std::numeric_limits<double>::infinity();
  r.validity = "INVALID";
  r.invalid_reasons = {"tier A: output differs from the reference (request 1)"};
  r.partition = "2/3";
  r.device = "1";
  r.adaptive = AdaptiveStop{"group-sequential: looks at 5,10 reps", 10, 5, 1, 2, "FASTER", "p < alpha_1"};
  return r;
}

TEST(LedgerRecordTest, RoundTripsThroughJson) {
  const LedgerRecord r = full_record();
  const auto j = r.to_json();
  EXPECT_EQ(j["schema"], kLedgerSchema);
  const LedgerRecord back = LedgerRecord::from_json(j, "x.jsonl:1");
  EXPECT_EQ(back.to_json(), j);
  EXPECT_TRUE(std::isinf(*back.gate.psnr_db));
  EXPECT_EQ(back.gate.failing_request, 1);
  EXPECT_EQ(back.gate.ranks_agree, true);
  EXPECT_EQ(back.collectives.at("all_to_all").busbw_gbps, 0.2);
  EXPECT_EQ(back.latency_ms.at("first_frame"), 9);
  EXPECT_EQ(back.partition, "2/3");
  EXPECT_EQ(back.device, "1");
  ASSERT_TRUE(back.adaptive.has_value());
  EXPECT_EQ(back.adaptive->stopped_at, 5);
  EXPECT_EQ(back.adaptive->verdict, "FASTER");
  EXPECT_EQ(j["adaptive"]["looks"], 2);
}

TEST(LedgerRecordTest, TierBQualityMeasuresRoundTrip) {
  LedgerRecord r = full_record();
  r.tier = "B";
  r.gate.psnr_db = 31.5;
  r.gate.max_abs_u8 = 12;
  r.gate.min_frame_psnr_db = 27.25;
  r.gate.latent_rel_l2 = 0.0125;
  r.gate.bound = GateFindings::Bound{25.0, 255, true, 22.0, 0.15};
  const auto j = r.to_json();
  EXPECT_EQ(j["schema"], "ablate.ledger/3");
  EXPECT_EQ(j["min_frame_psnr_db"], 27.25);
  EXPECT_EQ(j["latent_rel_l2"], 0.0125);
  EXPECT_EQ(j["bound"]["max_latent_rel_l2"], 0.15);
  const LedgerRecord back = LedgerRecord::from_json(j, "x.jsonl:1");
  EXPECT_EQ(back.to_json(), j);
  EXPECT_EQ(back.gate.min_frame_psnr_db, 27.25);
  EXPECT_EQ(back.gate.latent_rel_l2, 0.0125);
  EXPECT_EQ(back.gate.bound->min_frame_psnr_db, 22.0);
  EXPECT_EQ(back.gate.bound->max_latent_rel_l2, 0.15);
  // an ablate.ledger/2 record has neither: they stay unset, the bound's defaults hold nothing back
  auto old = j;
  old["schema"] = "ablate.ledger/2";
  old.erase("min_frame_psnr_db");
  old.erase("latent_rel_l2");
  old["bound"].erase("min_frame_psnr_db");
  old["bound"].erase("max_latent_rel_l2");
  const LedgerRecord v2 = LedgerRecord::from_json(old, "x.jsonl:2");
  EXPECT_EQ(v2.schema_version, 2);
  EXPECT_FALSE(v2.gate.latent_rel_l2.has_value());
  EXPECT_EQ(v2.gate.bound->max_latent_rel_l2, 1e9);
}

TEST(LedgerRecordTest, MalformedFieldsNameFileLineAndField) {
  auto j = full_record().to_json();
  j["phases_ms"]["chunk[0]"] = "fast";
  try {
    LedgerRecord::from_json(j, "l.jsonl:3");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "l.jsonl:3.phases_ms.chunk[0]: expected a number, found \"fast\"");
  }
  j = full_record().to_json();
  j["status"] = "done";
  EXPECT_THROW(LedgerRecord::from_json(j, "l"), UsageError);
  j = full_record().to_json();
  j["samples_ms"] = {1, "two"};
  try {
    LedgerRecord::from_json(j, "l.jsonl:4");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "l.jsonl:4.samples_ms[1]: expected a number, found \"two\"");
  }
  j = full_record().to_json();
  j.erase("combination");
  EXPECT_THROW(LedgerRecord::from_json(j, "l"), UsageError);
}

// Every committed ledger with reports beside it: `ablate report` on the ledger alone writes the
// same report.md and report.html (ablate.ledger/1 records read through the typed record).
TEST(LedgerRecordTest, CommittedLedgersGiveTheCommittedReports) {
  const fs::path reports = fs::path(ABLATE_SOURCE_DIR) / "reports" / "runner-gpu";
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(reports)) {
    const fs::path dir = entry.path();
    if (!fs::exists(dir / "ledger.jsonl") || !fs::exists(dir / "report.md")) continue;
    const std::string out = testing::fresh_dir("committed-report-" + dir.filename().string());
    const auto r = testing::run_ablate("report " + (dir / "ledger.jsonl").string() + " --out " + out);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(testing::read_text(out + "/report.md"), testing::read_text((dir / "report.md").string())) << dir;
    if (fs::exists(dir / "report.html")) {
      EXPECT_EQ(testing::read_text(out + "/report.html"), testing::read_text((dir / "report.html").string())) << dir;
    }
    ++compared;
  }
  EXPECT_GE(compared, 10);
}

}  // namespace ledger_record_test
}  // namespace ablate
