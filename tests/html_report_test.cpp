// The HTML report: escaping and formats as strings, the answer-first layout (headline, charts,
// table, folded metadata), colour only for decided verdicts, the waterfall, factorial effects,
// latency and thumbnails; then the page loaded in headless Chromium and its DOM checked (headline
// text, one bar per combination in each chart, no colour on ambiguous or invalid rows, script ran).
#include "experiments/report/html_report.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>

#include "core/error.h"
#include "experiments/report/html_text.h"
#include "experiments/report/report_files.h"
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
  json sync = timed("sync_elim=on", {70, 71, 69, 70, 72}, json::object());   // valid and FASTER: the best
  json wide = timed("wide=on", {60, 140, 100, 150, 55}, json::object());    // a wide CI: AMBIGUOUS
  return typed({base, fast, evil, skipped, error, sync, wide});
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
  EXPECT_EQ(count(table, "<tr class=\"combination"), 7u);
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

  EXPECT_EQ(count(element(dom, "table", "summary"), "<tr class=\"combination"), 7u);
  // the headline, as rendered
  const std::string head = element(dom, "section", "headline");
  EXPECT_NE(head.find("Best valid combination: <b class=\"best\">sync_elim=on</b>, 30.0 % faster than the baseline "
                      "(1.43×): 70.0 ms vs 100.0 ms, change -30.0 ms, 95 % CI ["), std::string::npos) << head;
  EXPECT_NE(head.find("FASTER: 2</span>"), std::string::npos) << head;
  EXPECT_NE(head.find("AMBIGUOUS: 1</span>"), std::string::npos) << head;
  EXPECT_NE(head.find("INVALID: 1</span>"), std::string::npos) << head;
  // colour only on decided rows: the ambiguous and the invalid (20 % faster) rows have none
  for (const std::string name : {"wide=on", "sync_elim=on+text_cache=on"}) {
    const size_t at = dom.find("data-combination=\"" + name + "\" data-status");
    ASSERT_NE(at, std::string::npos) << name;
    const std::string row = dom.substr(at, dom.find("</tr>", at) - at);
    EXPECT_EQ(row.find("faster"), std::string::npos) << row;
    EXPECT_EQ(row.find("slower"), std::string::npos) << row;
  }
  const size_t sync_row = dom.find("data-combination=\"sync_elim=on\" data-status");
  EXPECT_NE(dom.substr(sync_row, dom.find("</tr>", sync_row) - sync_row).find("class=\"num faster\""), std::string::npos);
  EXPECT_EQ(dom.find("<details id=\"metadata\" open"), std::string::npos);
  EXPECT_EQ(count(dom, "data-status=\"skipped\""), 1u);
  EXPECT_EQ(count(dom, "data-status=\"error\""), 1u);
  // 5 ok records: 5 median bars with CI whiskers, 2 of them coloured FASTER (sync_elim, evil); 3
  // have phases (6 + 4 + 2 segments); 2 have collectives (2 + 1 segments).
  const std::string medians = element(dom, "svg", "medians");
  EXPECT_EQ(count(medians, "<rect class=\"bar"), 5u) << medians;
  EXPECT_EQ(count(medians, "<rect class=\"bar faster\""), 2u) << medians;
  EXPECT_EQ(count(medians, "class=\"whisker\""), 5u);
  EXPECT_EQ(count(medians, "data-verdict=\"AMBIGUOUS\""), 1u);
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
  EXPECT_EQ(count(dom, "<b>"), 7u);  // the rows' names in bold; none from the skip reason
}

TEST(HtmlReportTest, LeadsWithTheAnswerThenChartsThenTableThenFoldedMetadata) {
  const std::string html = html_report(ledger(), "tiny-cpu");
  const size_t head = html.find("<section id=\"headline\">"), medians = html.find("<svg id=\"medians\"");
  const size_t table = html.find("<table id=\"summary\">"), meta = html.find("<details id=\"metadata\"><summary>");
  ASSERT_NE(head, std::string::npos);
  EXPECT_LT(head, medians);
  EXPECT_LT(medians, table);
  EXPECT_LT(table, meta);
  ASSERT_NE(meta, std::string::npos);
  // nested environment facts read as text, not as a JSON object
  EXPECT_NE(html.find("<dt>environment.git_commit</dt><dd>abc123</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>workload.frames</dt><dd>9</dd>"), std::string::npos);
}

TEST(HtmlReportTest, NoFasterValidCombinationSaysSo) {
  auto records = ledger();
  records.resize(1);  // the baseline alone
  const std::string html = html_report(records, "t");
  EXPECT_NE(html.find("No valid combination is decided FASTER than the baseline (100.0 ms)."), std::string::npos);
  EXPECT_NE(html.find("FASTER: 0</span>"), std::string::npos);
}

json with_strategies(json r, const std::map<std::string, std::string>& strategies, const std::string& mode) {
  r["strategies"] = strategies;
  r["mode"] = mode;
  return r;
}

TEST(HtmlReportTest, StackModeDrawsTheWaterfallStageByStage) {
  const auto records = typed({
      with_strategies(timed("baseline", {100, 101, 99, 100, 102}, json::object()), {}, "stack"),
      with_strategies(timed("a=on", {80, 81, 79, 80, 82}, json::object()), {{"a", "on"}}, "stack"),
      with_strategies(timed("a=on+b=on", {79, 81, 80, 82, 78}, json::object()), {{"a", "on"}, {"b", "on"}}, "stack"),
  });
  const std::string svg = element(html_report(records, "stack"), "svg", "waterfall");
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(count(svg, "<rect class=\"bar"), 4u) << svg;  // baseline, +a, +b, the stack
  EXPECT_EQ(count(svg, "data-kind=\"step\""), 2u);
  EXPECT_EQ(count(svg, "data-kind=\"total\""), 2u);
  EXPECT_NE(svg.find("data-row=\"+ a=on\""), std::string::npos);
  EXPECT_NE(svg.find("-20.0 ms (-20.0 %) FASTER"), std::string::npos) << svg;
  // b's change is within noise: drawn, but not coloured
  const size_t b = svg.find("data-row=\"+ b=on\"");
  ASSERT_NE(b, std::string::npos);
  const size_t rect = svg.rfind("<rect", b);
  EXPECT_EQ(svg.substr(rect, b - rect), "<rect class=\"bar\" ");
}

TEST(HtmlReportTest, FactorialModeDrawsMainEffectsAndInteractionsWithCis) {
  std::vector<json> raw;
  const double base_ms = 100;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      std::map<std::string, std::string> s;
      if (a) s["a"] = "on";
      if (b) s["b"] = "on";
      const double m = base_ms - 20 * a - 1 * b;
      json r = with_strategies(timed(a || b ? (a ? std::string("a=on") : "") + (a && b ? "+" : "") + (b ? "b=on" : "")
                                            : "baseline",
                                     {m - 1, m, m + 1, m, m}, json::object()),
                               s, "full");
      r["spec"] = {{"axes", {{"a", {"off", "on"}}, {"b", {"off", "on"}}}}};
      raw.push_back(r);
    }
  const std::string svg = element(html_report(typed(raw), "factorial"), "svg", "effects");
  ASSERT_FALSE(svg.empty());
  EXPECT_EQ(count(svg, "data-kind=\"main\""), 2u) << svg;
  EXPECT_EQ(count(svg, "data-kind=\"interaction\""), 1u);
  EXPECT_NE(svg.find("data-row=\"a\""), std::string::npos);
  EXPECT_NE(svg.find("data-row=\"a:b\""), std::string::npos);
  EXPECT_NE(svg.find("-20.0 ms ["), std::string::npos) << svg;  // a's effect
  EXPECT_EQ(count(svg, "class=\"whisker\""), 3u);
}

TEST(HtmlReportTest, LatencyShowsFirstChunkFrameAndPerChunkTimes) {
  json r = timed("baseline", {100, 101, 99, 100, 102}, {{"chunk0", 30}, {"chunk1", 25}});
  r["latency_ms"] = {{"first_chunk", 31.5}, {"first_frame", 47.4}};
  const std::string html = html_report(typed({r}), "t");
  const std::string table = element(html, "table", "latency");
  ASSERT_FALSE(table.empty());
  EXPECT_NE(table.find("<th>chunk 1 ms</th>"), std::string::npos);
  EXPECT_NE(table.find(">31.5</td><td class=\"num\" data-value=\"47.400000\">47.4</td>"), std::string::npos) << table;
  const std::string chart = element(html, "svg", "latency-chart");
  EXPECT_EQ(count(chart, "class=\"segment\""), 2u) << chart;
  EXPECT_NE(chart.find("until the first frames are decoded: 15.9 ms"), std::string::npos) << chart;
}

TEST(HtmlReportTest, ThumbnailsAreEmbeddedAsBase64Png) {
  EXPECT_EQ(base64_encode("Man"), "TWFu");
  EXPECT_EQ(base64_encode("Ma"), "TWE=");
  EXPECT_EQ(base64_encode("M"), "TQ==");
  EXPECT_EQ(base64_encode(""), "");
  const std::string html =
      html_report(ledger(), "t", {{"baseline", "baseline <sheet>", std::string("\x89PNG\r\n", 6)}});
  EXPECT_NE(html.find("<img alt=\"baseline &lt;sheet&gt;\" src=\"data:image/png;base64,iVBORw0K\">"), std::string::npos);
}

TEST(HtmlReportTest, ReadThumbnailsFindsTheIndexBesideTheLedgerBaselineFirst) {
  const std::string dir = testing::make_scratch_dir("html_thumbs_");
  EXPECT_TRUE(read_thumbnails(dir).empty());
  std::filesystem::create_directories(dir + "/thumbnails");
  testing::write_text(dir + "/thumbnails/a.png", "AAA");
  testing::write_text(dir + "/thumbnails/b.png", "BB");
  testing::write_text(dir + "/thumbnails/index.json",
                      R"([{"file":"a.png","combination":"x=on","caption":"x"},{"file":"b.png","combination":"baseline"}])");
  const auto t = read_thumbnails(dir);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].combination, "baseline");
  EXPECT_EQ(t[0].png, "BB");
  EXPECT_EQ(t[0].caption, "baseline");
  EXPECT_EQ(t[1].png, "AAA");
  testing::write_text(dir + "/thumbnails/index.json", R"([{"file":"missing.png"}])");
  try {
    read_thumbnails(dir);
    ADD_FAILURE() << "a missing file was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("thumbnails/missing.png: cannot read the file"), std::string::npos) << e.what();
  }
}

}  // namespace html_report_test
}  // namespace ablate
