// `ablate run --out` on tiny writes the baseline's contact sheet beside the ledger, and both the
// run's report.html and `ablate report` (finding thumbnails/ beside the ledger) embed it.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/io/png_file.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace report_thumbnails_test {

using testing::contains;

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

TEST(ReportThumbnailsTest, RunWritesTheBaselineSheetAndBothReportsEmbedIt) {
  if (!io::png_available()) GTEST_SKIP() << "this build has no libpng";
  const std::string dir = testing::make_scratch_dir("report_thumbnails_");
  const auto r = testing::run_ablate("run --preset tiny --size 32*32 --axis sync_elim=off,on --warmup 0 --repetitions 2 "
                                     "--no-sync-audit --out " + dir + "/run");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto index = testing::read_json(dir + "/run/thumbnails/index.json");
  ASSERT_EQ(index.size(), 1u) << index.dump();  // sync_elim is bit-identical: no heat map
  EXPECT_EQ(index[0]["file"], "baseline_contact_sheet.png");
  const auto sheet = io::read_png(dir + "/run/thumbnails/baseline_contact_sheet.png").pixels;
  EXPECT_EQ(sheet.dim(), 3);
  EXPECT_EQ(sheet.size(2), 3);
  const std::string html = testing::read_text(dir + "/run/report.html");
  EXPECT_EQ(count(html, "src=\"data:image/png;base64,iVBORw0KGgo"), 1u);
  EXPECT_TRUE(contains(html, "baseline: every 8th frame of request 0"));
  // `ablate report` into another folder finds the thumbnails beside the ledger
  const auto rep = testing::run_ablate("report " + dir + "/run/ledger.jsonl --out " + dir + "/again");
  ASSERT_EQ(rep.exit_code, 0) << rep.output;
  EXPECT_EQ(count(testing::read_text(dir + "/again/report.html"), "src=\"data:image/png;base64,iVBORw0KGgo"), 1u);
}

}  // namespace report_thumbnails_test
}  // namespace ablate
