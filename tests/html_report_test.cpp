// The HTML report: escaping and formats as strings, then the page loaded in headless Chromium and
// its DOM checked (table rows, one bar per combination in each chart, escaped names, script ran).
#include "experiments/report/html_report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "experiments/report/html_text.h"
#include "tests/cli_test_util.h"

namespace ablate {
namespace html_report_test {

using nlohmann::json;

// A name that breaks the page unless escaped everywhere (text, attributes, <title>).
const std::string kEvil = "evil<script>alert(\"x\")</script>&'=on";

json record(const std::string& combination, const std::string& status) {
  return json{{"schema", "ablate.ledger/1"},
              {"matrix", "tiny-cpu"},
              {"combination", combination},
              {"status", status},
              {"workload", {{"preset", "tiny"}, {"device", "cpu"}, {"frames", 9}, {"world_size", 1}}},
              {"environment", {{"git_commit", "abc123"}, {"torch_version", "1.13.1"}}}};
}

json timed(const std::string& combination, std::vector<double> samples, json phases) {
  json r = record(combination, "ok");
  r["tier"] = "A";
  r["md5_ok"] = true;
  r["validity"] = "VALID";
  r["repetitions"] = samples.size();
  r["samples_ms"] = samples;
  r["cold_ms"] = 812.3;
  r["phases_ms"] = std::move(phases);
  r["syncs"] = {{"dit", 0}, {"total", 50}};
  r["peak_memory_bytes"] = {1610612736};
  return r;
}

// baseline, a faster stacked pair with collectives on 2 ranks (tier B, INVALID), the evil name
// with one collective, a skipped and an error record.
std::vector<LedgerRecord> typed(const std::vector<json>& records) {
  std::vector<LedgerRecord> out;
  for (const auto& r : records) out.push_back(LedgerRecord::from_json(r, "test"));
  return out;
}

std::vector<LedgerRecord> ledger() {
  json base = timed("baseline", {100, 102, 98, 101, 99},
                    {{"text_encode", 1.2}, {"vae_encode", 10.1}, {"chunk0", 30}, {"chunk1", 30}, {"chunk10", 5},
                     {"vae_decode", 20}});
  json fast = timed("sync_elim=on+text_cache=on", {80, 82, 79, 81, 80},
                    {{"vae_encode", 10}, {"chunk0", 25}, {"chunk1", 25}, {"vae_decode", 20}});
  fast["tier"] = "B";
  fast["md5_ok"] = false;
  fast["first_divergence"] = {{"chunk", 2}, {"step", 1}};
  fast["validity"] = "INVALID";
  fast["invalid_reasons"] = {"cv 0.08 > 0.05"};
  fast["collectives"] = {{"all_to_all", {{"calls", 40}, {"ms", 8.0}, {"share", 0.6}}},
                         {"all_gather", {{"calls", 4}, {"ms", 4.0}, {"share", 0.3}}}};
  fast["nccl_ms"] = 12.0;
  fast["peak_memory_bytes"] = {1073741824, 2147483648};
  json evil = timed(kEvil, {90, 91, 92}, {{"chunk0", 40}, {"vae_decode", 20}});
  evil["collectives"] = {{"all_to_all", {{"ms", 3.0}}}};
  json skipped = record("param_shard=on", "skipped");
  skipped["reason"] = "param_shard needs world_size > 1 <b>";
  json error = record("cuda_graph=on", "error");
  error["reason"] = "CUDA error: out of memory";
  return typed({base, fast, evil, skipped, error});
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// The markup of element `<tag id="id" ...>` up to its closing tag (charts do not nest).
std::string element(const std::string& html, const std::string& tag, const std::string& id) {
  const size_t begin = html.find("<" + tag + " id=\"" + id + "\"");
  if (begin == std::string::npos) return "";
  const size_t end = html.find("</" + tag + ">", begin);
  return html.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

TEST(HtmlReportTest, EscapesAndFormats) {
  EXPECT_EQ(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(format_fixed(12.345, 1), "12.3");
  EXPECT_EQ(format_fixed(std::nan(""), 1), "–");
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1610612736), "1.50 GiB");
  EXPECT_EQ(truncate_label("abcdef", 4), "abc…");
  EXPECT_EQ(truncate_label("abcd", 4), "abcd");
  EXPECT_EQ(truncate_label("ääää", 3), "ää…");  // whole UTF-8 characters
}

TEST(HtmlReportTest, IsSelfContainedAndEscapesEveryLedgerString) {
  const std::string html = html_report(ledger(), "Ablate <tiny> & co");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* external : {"http:", "https:", "src=", "href=", "@import", "url("}) {
    EXPECT_EQ(html.find(external), std::string::npos) << external;
  }
  EXPECT_EQ(count(html, "<script"), 1u);  // ours only
  EXPECT_EQ(html.find("alert(\"x\")</script>"), std::string::npos);
  EXPECT_EQ(html.find("<b>\n"), std::string::npos);
  EXPECT_NE(html.find("<title>Ablate &lt;tiny&gt; &amp; co</title>"), std::string::npos);
  EXPECT_NE(html.find("world_size &gt; 1 &lt;b&gt;"), std::string::npos);
}

TEST(HtmlReportTest, TableShowsDeltaTierMd5AndMemory) {
  const std::string html = html_report(ledger(), "t");
  const std::string table = element(html, "table", "summary");
  EXPECT_EQ(count(table, "<tr class=\"combination"), 5u);
  EXPECT_NE(table.find("-20.0 % (-20.0 ms)"), std::string::npos) << table;  // 80 vs 100 ms medians
  EXPECT_NE(table.find("✗ differs</span> at chunk 2 step 1"), std::string::npos);
  EXPECT_NE(table.find("2.00 GiB (max of 2 ranks)"), std::string::npos);
  EXPECT_NE(table.find("INVALID</span>: cv 0.08 &gt; 0.05"), std::string::npos);
  EXPECT_NE(table.find("skipped: param_shard needs"), std::string::npos);
  EXPECT_NE(table.find("error: CUDA error: out of memory"), std::string::npos);
}

TEST(HtmlReportTest, ChartsAreLeftOutWithoutData) {
  const std::string html = html_report(typed({record("x=on", "skipped")}), "t");
  EXPECT_EQ(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"combination skipped\""), std::string::npos);
}

// Finds headless Chromium: $ABLATE_CHROMIUM, else chromium / chromium-headless-shell on PATH.
std::string browser() {
  if (const char* env = std::getenv("ABLATE_CHROMIUM")) return env;
  return testing::find_program({"chromium", "chromium-headless-shell", "chromium-browser"});
}

// What Chromium renders: the report's DOM after its script ran.
TEST(HtmlReportTest, ChromiumRendersTheTableAndOneBarPerCombinationInEachChart) {
  const std::string chromium = browser();
  ASSERT_FALSE(chromium.empty()) << "headless Chromium not found (looked for $ABLATE_CHROMIUM, chromium, "
                                    "chromium-headless-shell on PATH): run scripts/install-deps.sh";
  const std::string dir = testing::make_scratch_dir("html_report_");
  testing::write_text(dir + "/report.html", html_report(ledger(), "tiny-cpu"));
  const testing::CommandResult r =
      testing::run_shell("{ timeout 120 " + chromium + " --headless --no-sandbox --disable-gpu --user-data-dir=" + dir +
                        "/profile --dump-dom file://" + dir + "/report.html 2>" + dir + "/chromium.log; }");
  ASSERT_EQ(r.exit_code, 0) << "chromium failed; its log is " << dir << "/chromium.log\n" << r.output;
  const std::string& dom = r.output;
  ASSERT_NE(dom.find("</html>"), std::string::npos) << dom;
  EXPECT_NE(dom.find("<html lang=\"en\" data-script=\"ok\">"), std::string::npos) << "the script did not run";

  EXPECT_EQ(count(element(dom, "table", "summary"), "<tr class=\"combination"), 5u);
  EXPECT_EQ(count(dom, "data-status=\"skipped\""), 1u);
  EXPECT_EQ(count(dom, "data-status=\"error\""), 1u);
  // 3 ok records: 3 median bars with whiskers; all 3 have phases (6 + 4 + 2 segments);
  // 2 have collectives (2 + 1 segments).
  const std::string medians = element(dom, "svg", "medians");
  EXPECT_EQ(count(medians, "class=\"bar\""), 3u) << medians;
  EXPECT_EQ(count(medians, "class=\"whisker\""), 3u);
  const std::string phases = element(dom, "svg", "phases");
  EXPECT_EQ(count(phases, "class=\"bar\""), 3u) << phases;
  EXPECT_EQ(count(phases, "class=\"segment\""), 12u);
  EXPECT_EQ(count(phases, "data-phase=\"chunk10\""), 1u);
  const std::string collectives = element(dom, "svg", "collectives");
  EXPECT_EQ(count(collectives, "class=\"bar\""), 2u) << collectives;
  EXPECT_EQ(count(collectives, "class=\"segment\""), 3u);
  EXPECT_EQ(count(collectives, "data-collective=\"all_to_all\""), 2u);

  // The evil name is text in the DOM, never markup: no element but ours came from it.
  EXPECT_NE(dom.find("evil&lt;script&gt;alert(\"x\")&lt;/script&gt;&amp;'=on"), std::string::npos);
  EXPECT_EQ(count(dom, "<script"), 1u);
  EXPECT_EQ(count(dom, "<b>"), 5u);  // the rows' names in bold; none from the skip reason
}

}  // namespace html_report_test
}  // namespace ablate
