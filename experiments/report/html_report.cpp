// The HTML report, answer first: the headline (best valid combination, its gain with CI, the
// verdict counts), the charts, the thumbnails, the table, then the run's metadata folded away.
#include "experiments/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include "experiments/report/html_chart_layout.h"
#include "experiments/report/html_charts.h"
#include "experiments/report/html_text.h"
#include "experiments/report/report_verdicts.h"
#include "experiments/stats/factorial.h"
#include "experiments/stats/statistics.h"

namespace ablate {
namespace html_report_detail {

using nlohmann::json;

const char kCss[] = R"(body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 14px}
dl.facts dt{color:#666}dl.facts dd{margin:0}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}
th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.skipped td,tr.error td{color:#888}td.faster{color:#1a7f37;font-weight:600}td.slower{color:#c62828;font-weight:600}
.bad{color:#c62828;font-weight:600}
#headline{border:1px solid #ccd;border-radius:6px;padding:10px 16px;background:#f7f9fc}
#headline .answer{font-size:18px;margin:4px 0}#headline .counts span{margin-right:14px;white-space:nowrap}
details#metadata{margin-top:28px}details#metadata summary{cursor:pointer;font-weight:600}
.thumbs{display:flex;flex-wrap:wrap;gap:14px}.thumbs figure{margin:0;max-width:440px}
.thumbs img{max-width:440px;image-rendering:pixelated;border:1px solid #ddd}.thumbs figcaption{font-size:12px;color:#555}
p.note{color:#555;font-size:13px;margin:2px 0 6px}
svg.chart{font:12px system-ui,sans-serif;display:block}svg .grid{stroke:#e3e3e3}svg .whisker line{stroke:#333}
.legend{margin:4px 0 0 300px;font-size:12px}.legend .key{margin-right:12px;white-space:nowrap}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:-1px}
)";

// Click a header to sort by it (numbers by data-value, the rest as text); proves it ran by
// setting data-script="ok", which the DOM test looks for.
const char kScript[] = R"((function () {
  var table = document.getElementById('summary');
  var heads = table.tHead.rows[0].cells;
  function key(row, col) {
    var cell = row.cells[col];
    var v = cell.getAttribute('data-value');
    return v === null ? cell.textContent : parseFloat(v);
  }
  Array.prototype.forEach.call(heads, function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var dir = th.getAttribute('data-dir') === 'asc' ? -1 : 1;
      rows.sort(function (a, b) {
        var x = key(a, col), y = key(b, col);
        if (typeof x !== typeof y) return typeof x === 'number' ? -1 : 1;
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      th.setAttribute('data-dir', dir === 1 ? 'asc' : 'desc');
    });
  });
  document.documentElement.setAttribute('data-script', 'ok');
})();
)";

std::string combination(const LedgerRecord& r) { return r.combination.empty() ? "?" : r.combination; }

bool is_ok(const LedgerRecord& r) { return r.ok(); }

// A cell; numeric cells carry data-value for sorting.
std::string td(const std::string& escaped_text, std::optional<double> sort_value = std::nullopt,
               const std::string& cls = "") {
  std::string out = "<td";
  std::string classes = sort_value ? "num" : "";
  if (!cls.empty()) classes += (classes.empty() ? "" : " ") + cls;
  if (!classes.empty()) out += " class=\"" + classes + "\"";
  if (sort_value && std::isfinite(*sort_value)) out += " data-value=\"" + format_fixed(*sort_value, 6) + "\"";
  return out + ">" + escaped_text + "</td>";
}

std::string optional_ms(std::optional<double> v) { return v ? format_fixed(*v, 1) : "–"; }

std::string status_cell(const LedgerRecord& r) {
  std::string text = html_escape(record_status_name(r.status));
  if (!r.reason.empty()) text += ": " + html_escape(r.reason);
  if (r.validity == "INVALID") {
    std::string reasons;
    for (const auto& why : r.invalid_reasons) reasons += (reasons.empty() ? "" : "; ") + why;
    text += " · <span class=\"bad\">INVALID</span>" + (reasons.empty() ? "" : ": " + html_escape(reasons));
  }
  return td(text);
}

std::string html_md5_cell(const LedgerRecord& r) {
  if (!r.gate.md5_ok) return td(r.md5.empty() ? "–" : "<code>" + html_escape(r.md5.substr(0, 8)) + "</code>");
  if (*r.gate.md5_ok) return td("✓ same");
  std::string text = "<span class=\"bad\">✗ differs</span>";
  if (r.gate.first_divergence)
    text += html_escape(" at chunk " + std::to_string(r.gate.first_divergence->first) + " step " +
                        std::to_string(r.gate.first_divergence->second));
  return td(text);
}

std::string syncs_cell(const LedgerRecord& r) {
  if (!r.syncs) return td("–");
  const double dit = static_cast<double>(r.syncs->dit), total = static_cast<double>(r.syncs->total);
  return td(format_fixed(dit, 0) + " / " + format_fixed(total, 0), total);
}

struct Times {
  std::optional<double> median, min, max, cv;
};

Times times_of(const LedgerRecord& r) {
  Times t;
  if (r.stats) return {r.stats->median, r.stats->min, r.stats->max, r.stats->cv};
  if (r.samples_ms.empty()) return t;
  return {stats::median(r.samples_ms), *std::min_element(r.samples_ms.begin(), r.samples_ms.end()),
          *std::max_element(r.samples_ms.begin(), r.samples_ms.end()), stats::cv(r.samples_ms)};
}

// Δ vs baseline, coloured only when the verdict is decided (FASTER / SLOWER of a valid record).
std::string delta_cell(const Times& t, std::optional<double> baseline, const RecordVerdict& v) {
  if (v.name == "baseline") return td("baseline", 0.0);
  if (!t.median || !baseline || *baseline <= 0) return td("–");
  const double diff = *t.median - *baseline;
  const double rel = diff / *baseline;
  const std::string sign = diff > 0 ? "+" : "";
  return td(sign + format_fixed(100 * rel, 1) + " % (" + sign + format_fixed(diff, 1) + " ms)", rel, v.tone == "reference" ? "" : v.tone);
}

std::string verdict_cell(const RecordVerdict& v) {
  std::string text = "<span title=\"" + html_escape(v.why) + "\">" + html_escape(v.name) + "</span>";
  if (v.comparison && v.name != "baseline") {
    const auto& c = *v.comparison;
    text += " <small>p " + format_fixed(c.p_value, 3) + ", CI [" + format_fixed(c.diff_ci.lo, 1) + ", " +
            format_fixed(c.diff_ci.hi, 1) + "] ms</small>";
  }
  return td(text, std::nullopt, v.tone == "reference" ? "" : v.tone);
}

std::string summary_table(const std::vector<LedgerRecord>& records, const std::vector<RecordVerdict>& verdicts) {
  const LedgerRecord* base = baseline_record(records);
  const std::optional<double> baseline = base ? times_of(*base).median : std::nullopt;
  std::ostringstream out;
  out << "<table id=\"summary\"><thead><tr><th>Combination</th><th>Verdict vs baseline</th><th>Status</th>"
         "<th>Median ms</th><th>Spread (min–max, CV)</th><th>Δ vs baseline</th><th>Tier</th><th>MD5</th>"
         "<th>Syncs (DiT / total)</th><th>NCCL ms</th><th>Peak memory</th><th>Cold ms</th></tr></thead>\n<tbody>\n";
  for (size_t i = 0; i < records.size(); ++i) {
    const LedgerRecord& r = records[i];
    const RecordVerdict& v = verdicts[i];
    const std::string name = combination(r);
    const std::string status = record_status_name(r.status);
    const Times t = times_of(r);
    std::string spread = "–";
    if (t.min && t.max) {
      spread = format_fixed(*t.min, 1) + "–" + format_fixed(*t.max, 1);
      if (t.cv) spread += " (" + format_fixed(100 * *t.cv, 1) + " %)";
    }
    std::optional<double> peak;
    for (const auto b : r.peak_memory_bytes) peak = std::max(peak.value_or(0.0), static_cast<double>(b));
    std::string memory = "–";
    if (peak) {
      memory = format_bytes(*peak);
      if (r.peak_memory_bytes.size() > 1) memory += " (max of " + std::to_string(r.peak_memory_bytes.size()) + " ranks)";
    }
    std::optional<double> nccl;
    if (r.ok()) nccl = r.nccl_ms;
    out << "<tr class=\"combination " << html_escape(status) << "\" data-combination=\"" << html_escape(name)
        << "\" data-status=\"" << html_escape(status) << "\" data-verdict=\"" << html_escape(v.name) << "\">"
        << td("<b>" + html_escape(name) + "</b>") << verdict_cell(v) << status_cell(r)
        << td(optional_ms(t.median), t.median) << td(html_escape(spread), t.cv) << delta_cell(t, baseline, v)
        << td(r.tier.empty() ? "–" : html_escape(r.tier)) << html_md5_cell(r) << syncs_cell(r)
        << td(optional_ms(nccl), nccl) << td(html_escape(memory), peak) << td(optional_ms(r.cold_ms), r.cold_ms)
        << "</tr>\n";
  }
  out << "</tbody></table>\n";
  return out.str();
}

// The index of a phase label "<name>[N]" (PhaseTiming::label) or "<name>N" (older ledgers); -1
// when the label is not that phase.
long indexed_phase(const std::string& label, const std::string& name) {
  if (label.rfind(name, 0) != 0 || label.size() <= name.size()) return -1;
  std::string digits = label.substr(name.size());
  if (digits.front() == '[' && digits.back() == ']') digits = digits.substr(1, digits.size() - 2);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::atol(digits.c_str());
}

// The median ms of chunk `c` in a record's phases, when recorded.
std::optional<double> chunk_ms(const LedgerRecord& r, size_t c) {
  for (const auto& [label, ms] : r.phases_ms)
    if (indexed_phase(label, "chunk") == static_cast<long>(c)) return ms;
  return std::nullopt;
}

// Pipeline order: text encode, VAE encode, chunk0, chunk1, ..., VAE decode, then anything else.
std::pair<int, long> phase_rank(const std::string& phase) {
  if (phase == "text_encode") return {0, 0};
  if (phase == "vae_encode") return {1, 0};
  if (const long c = indexed_phase(phase, "chunk"); c >= 0) return {2, c};
  if (phase == "vae_decode") return {3, 0};
  if (const long c = indexed_phase(phase, "vae_decode"); c >= 0) return {3, c + 1};
  return {4, 0};
}

// The keys of every row, in first-seen order (or pipeline order for phases).
std::vector<std::string> union_keys(const std::vector<StackedRow>& rows, bool pipeline_order) {
  std::vector<std::string> keys;
  for (const StackedRow& r : rows) {
    for (const auto& s : r.segments) {
      if (std::find(keys.begin(), keys.end(), s.first) == keys.end()) keys.push_back(s.first);
    }
  }
  if (pipeline_order) {
    std::stable_sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
      const auto ra = phase_rank(a), rb = phase_rank(b);
      return ra != rb ? ra < rb : (ra.first == 4 && a < b);
    });
  }
  return keys;
}

// Per record, (name, ms) of what `segments` picks (phases, or collectives' ms).
using Segments = std::function<std::vector<std::pair<std::string, double>>(const LedgerRecord&)>;

std::string stacked_section(const std::vector<LedgerRecord>& records, const char* id, const char* heading,
                            const Segments& segments_of, const char* attr, bool pipeline_order) {
  std::vector<StackedRow> rows;
  for (const auto& r : records) {
    auto segments = segments_of(r);
    if (segments.empty()) continue;
    rows.push_back({combination(r), std::move(segments)});
  }
  if (rows.empty()) return "";
  const std::vector<std::string> keys = union_keys(rows, pipeline_order);
  for (StackedRow& row : rows) {
    std::sort(row.segments.begin(), row.segments.end(), [&](const auto& a, const auto& b) {
      return std::find(keys.begin(), keys.end(), a.first) < std::find(keys.begin(), keys.end(), b.first);
    });
  }
  return std::string("<h2>") + heading + "</h2>\n" + svg_stacked_chart(id, "ms", attr, keys, rows);
}

std::vector<std::pair<std::string, double>> phase_segments(const LedgerRecord& r) {
  return {r.phases_ms.begin(), r.phases_ms.end()};
}

std::vector<std::pair<std::string, double>> collective_segments(const LedgerRecord& r) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [name, c] : r.collectives) out.emplace_back(name, c.ms);
  return out;
}

std::string medians_section(const std::vector<LedgerRecord>& records, const std::vector<RecordVerdict>& verdicts) {
  std::vector<WhiskerRow> rows;
  for (size_t i = 0; i < records.size(); ++i) {
    const LedgerRecord& r = records[i];
    const Times t = times_of(r);
    if (!is_ok(r) || !t.median || r.samples_ms.empty()) continue;
    const stats::Interval ci = stats::bootstrap_median_ci(r.samples_ms);
    rows.push_back({combination(r), *t.median, ci.lo, ci.hi, verdicts[i].tone, verdicts[i].name});
  }
  if (rows.empty()) return "";
  return "<h2>Median generate() time per combination</h2>\n<p class=\"note\">Whiskers: 95 % bootstrap CI of the "
         "median. Green / red only for decided verdicts (FASTER / SLOWER of a VALID combination); grey: the "
         "baseline; pale: SAME, AMBIGUOUS or INVALID.</p>\n" +
         svg_whisker_chart("medians", "ms", rows);
}

// "-12.3 ms (-4.1 %)"
std::string change_text(double diff, double base) {
  std::string text = chart::signed_num(diff) + " ms";
  if (base > 0) text += " (" + chart::signed_num(100 * diff / base) + " %)";
  return text;
}

// The stack / search chain: the baseline's median, then each added strategy's change against the
// stage before it (its CI and verdict from the same two stages' samples), then the final stage.
std::string waterfall_section(const std::vector<LedgerRecord>& records) {
  const std::vector<size_t> chain = stack_chain(records);
  if (chain.empty()) return "";
  std::vector<SpanRow> rows;
  const LedgerRecord& base = records[chain.front()];
  rows.push_back({combination(base), 0.0, base.median_ms(), NAN, NAN, "reference",
                  chart::num(base.median_ms()) + " ms", "total"});
  for (size_t k = 1; k < chain.size(); ++k) {
    const LedgerRecord& prev = records[chain[k - 1]];
    const LedgerRecord& cur = records[chain[k]];
    std::string added = "+ ";
    for (const auto& [n, val] : cur.strategies)
      if (!prev.strategies.count(n)) added += n + "=" + val;
    SpanRow row{added, prev.median_ms(), cur.median_ms(), NAN, NAN, "",
                change_text(cur.median_ms() - prev.median_ms(), prev.median_ms()), "step"};
    try {
      const stats::Comparison c = stats::compare(prev.samples_ms, cur.samples_ms);
      row.ci_lo = prev.median_ms() + c.diff_ci.lo;
      row.ci_hi = prev.median_ms() + c.diff_ci.hi;
      const bool valid = cur.validity != "INVALID" && prev.validity != "INVALID";
      if (valid && c.verdict == stats::Verdict::kFaster) row.tone = "faster";
      if (valid && c.verdict == stats::Verdict::kSlower) row.tone = "slower";
      row.text += std::string(" ") + (valid ? stats::verdict_name(c.verdict) : "INVALID");
    } catch (const std::invalid_argument&) {
    }
    rows.push_back(row);
  }
  const LedgerRecord& last = records[chain.back()];
  rows.push_back({"stack: " + combination(last), 0.0, last.median_ms(), NAN, NAN, "", 
                  chart::num(last.median_ms()) + " ms, " + change_text(last.median_ms() - base.median_ms(), base.median_ms()),
                  "total"});
  return "<h2>Stack: each strategy's change on top of the previous stage</h2>\n<p class=\"note\">Each bar runs from "
         "the previous stage's median to this stage's; whiskers: 95 % CI of that change; coloured only when the "
         "change is decided against the previous stage.</p>\n" +
         svg_span_chart("waterfall", "ms", rows);
}

// Main effects and pairwise interactions of a two-level full or factorial matrix, with their CIs.
std::string effects_section(const std::vector<LedgerRecord>& records) {
  if (records.empty()) return "";
  const LedgerRecord& first = records.front();
  if (first.mode != "full" && first.mode != "factorial") return "";
  if (!first.spec.contains("axes") || !first.spec["axes"].is_object()) return "";
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  for (const auto& [n, v] : first.spec["axes"].items()) {
    if (!v.is_array() || v.size() != 2) return "";
    axes.emplace_back(n, v.get<std::vector<std::string>>());
  }
  if (axes.size() < 2) return "";
  std::vector<std::string> names;
  for (const auto& a : axes) names.push_back(a.first);
  std::vector<stats::FactorialRun> runs;
  for (const auto& r : records) {
    if (!r.ok() || r.samples_ms.empty()) continue;
    stats::FactorialRun run;
    for (const auto& [n, v] : axes) {
      auto it = r.strategies.find(n);
      run.levels.push_back(it != r.strategies.end() && it->second == v[1]);
    }
    run.samples = r.samples_ms;
    runs.push_back(std::move(run));
  }
  stats::FactorialAnalysis a;
  try {
    a = stats::analyze_factorial(runs, names);
  } catch (const std::exception& e) {
    return "<h2>Factorial effects</h2>\n<p class=\"note\">Not estimable from this ledger: " + html_escape(e.what()) +
           "</p>\n";
  }
  std::vector<SpanRow> rows;
  auto add = [&](const stats::Effect& e, const char* kind) {
    const bool decided = e.ci.lo > 0 || e.ci.hi < 0;
    const int digits = std::max(std::fabs(e.ci.lo), std::fabs(e.ci.hi)) >= 100 ? 0 : 1;
    std::string text = chart::signed_num(e.estimate) + " ms [" + format_fixed(e.ci.lo, digits) + ", " +
                       format_fixed(e.ci.hi, digits) + "]";
    if (!e.aliases.empty()) {
      text += " ≡";
      for (const auto& al : e.aliases) text += " " + al;
    }
    rows.push_back({e.name, 0.0, e.estimate, e.ci.lo, e.ci.hi, decided ? (e.estimate < 0 ? "faster" : "slower") : "",
                    text, kind});
  };
  for (const auto& e : a.main_effects) add(e, "main");
  for (const auto& e : a.interactions) add(e, "interaction");
  return "<h2>Factorial effects (main effects and pairwise interactions)</h2>\n<p class=\"note\">Effect = mean(ms | "
         "on) − mean(ms | off) over " + std::to_string(runs.size()) + " runs; negative = faster; whiskers: 95 % "
         "bootstrap CI; coloured when the CI excludes 0.</p>\n" +
         svg_span_chart("effects", "ms", rows);
}

// Time to the first chunk and the first frame (from the start of generate()) and each chunk's time.
std::string latency_section(const std::vector<LedgerRecord>& records) {
  std::vector<StackedRow> rows;
  std::ostringstream table;
  size_t max_chunks = 0;
  for (const auto& r : records) {
    size_t n = 0;
    while (chunk_ms(r, n)) ++n;
    max_chunks = std::max(max_chunks, n);
  }
  table << "<table id=\"latency\"><thead><tr><th>Combination</th><th>First chunk denoised ms</th>"
           "<th>First frames decoded ms</th><th>generate() ms</th>";
  for (size_t c = 0; c < max_chunks; ++c) table << "<th>chunk " << c << " ms</th>";
  table << "</tr></thead><tbody>\n";
  size_t count = 0;
  for (const auto& r : records) {
    if (!r.ok() || r.latency_ms.empty()) continue;
    ++count;
    auto get = [&](const char* key) -> std::optional<double> {
      auto it = r.latency_ms.find(key);
      return it == r.latency_ms.end() ? std::nullopt : std::optional<double>(it->second);
    };
    const auto chunk = get("first_chunk"), frame = get("first_frame");
    StackedRow row{combination(r), {}};
    if (chunk) row.segments.emplace_back("first chunk denoised", *chunk);
    if (frame) row.segments.emplace_back("until the first frames are decoded", *frame - chunk.value_or(0.0));
    rows.push_back(row);
    table << "<tr class=\"latency\" data-combination=\"" << html_escape(combination(r)) << "\">"
          << td("<b>" + html_escape(combination(r)) + "</b>") << td(optional_ms(chunk), chunk)
          << td(optional_ms(frame), frame) << td(optional_ms(times_of(r).median), times_of(r).median);
    for (size_t c = 0; c < max_chunks; ++c) {
      const std::optional<double> v = chunk_ms(r, c);
      table << td(optional_ms(v), v);
    }
    table << "</tr>\n";
  }
  if (count == 0) return "";
  table << "</tbody></table>\n";
  return "<h2>Latency: time to the first chunk and frame (medians, from the start of generate())</h2>\n" +
         svg_stacked_chart("latency-chart", "ms", "latency", {"first chunk denoised", "until the first frames are decoded"},
                           rows) +
         table.str();
}

std::string thumbnails_section(const std::vector<ReportThumbnail>& thumbnails) {
  if (thumbnails.empty()) return "";
  std::ostringstream out;
  out << "<h2>Video thumbnails</h2>\n<p class=\"note\">The baseline's contact sheet (every 8th frame of request 0) "
         "and, for each combination whose video differs from it, a heat map of |difference|.</p>\n"
         "<div class=\"thumbs\" id=\"thumbnails\">\n";
  for (const auto& t : thumbnails) {
    out << "<figure class=\"thumb\" data-combination=\"" << html_escape(t.combination) << "\"><img alt=\""
        << html_escape(t.caption) << "\" src=\"data:image/png;base64," << base64_encode(t.png) << "\"><figcaption>"
        << html_escape(t.caption) << "</figcaption></figure>\n";
  }
  out << "</div>\n";
  return out.str();
}

// The answer: the best valid combination and its gain with CI, then the verdict counts.
std::string headline(const std::vector<LedgerRecord>& records, const std::vector<RecordVerdict>& verdicts) {
  std::ostringstream out;
  out << "<section id=\"headline\">";
  const LedgerRecord* base = baseline_record(records);
  const std::optional<size_t> best = best_valid(records, verdicts);
  out << "<p class=\"answer\">";
  if (!base) {
    out << "No baseline was measured: nothing to compare against.";
  } else if (!verdicts[static_cast<size_t>(base - records.data())].valid) {
    out << "The baseline is INVALID (" << html_escape(verdicts[static_cast<size_t>(base - records.data())].why)
        << "): no verdict is decided.";
  } else if (best) {
    const auto& c = *verdicts[*best].comparison;
    out << "Best valid combination: <b class=\"best\">" << html_escape(combination(records[*best])) << "</b>, "
        << format_fixed(-100 * c.rel, 1) << " % faster than the baseline (" << format_fixed(c.ratio, 2) << "×): "
        << format_fixed(c.candidate_median_ms, 1) << " ms vs " << format_fixed(c.baseline_median_ms, 1)
        << " ms, change " << chart::signed_num(c.diff_ms) << " ms, 95 % CI [" << chart::signed_num(c.diff_ci.lo) << ", "
        << chart::signed_num(c.diff_ci.hi) << "] ms.";
  } else {
    out << "No valid combination is decided FASTER than the baseline (" << format_fixed(base->median_ms(), 1)
        << " ms).";
  }
  out << "</p>\n<p class=\"counts\">";
  std::map<std::string, int> n;
  for (const auto& v : verdicts) ++n[v.name];
  for (const char* name : {"FASTER", "SLOWER", "SAME", "AMBIGUOUS", "INVALID", "skipped", "error"})
    out << "<span class=\"count\" data-verdict=\"" << name << "\">" << name << ": " << n[name] << "</span>";
  out << "</p>\n<p class=\"note\">Verdicts: Mann-Whitney U of each combination's samples against the baseline's "
         "(alpha 0.05, and a change of at least 1 % and 5 ms); INVALID: too noisy, too few repetitions or the gate "
         "failed.";
  if (!records.empty()) {
    const auto& r = records.front();
    out << " Matrix " << html_escape(r.matrix) << ", mode " << html_escape(r.mode) << ", " << r.warmup << " warm-up + "
        << r.repetitions << " timed generate() per combination.";
  }
  out << "</p></section>\n";
  return out.str();
}

// One line per leaf of a JSON object ("git.commit: abc"), so nested facts read as text.
void flatten_facts(std::ostringstream& out, const std::string& prefix, const json& v) {
  if (v.is_object() && !v.empty()) {
    for (auto it = v.begin(); it != v.end(); ++it) flatten_facts(out, prefix.empty() ? it.key() : prefix + "." + it.key(), *it);
    return;
  }
  out << "<dt>" << html_escape(prefix) << "</dt><dd>" << html_escape(v.is_string() ? v.get<std::string>() : v.dump())
      << "</dd>";
}

// Facts shared by the run (from the first record), folded away.
std::string metadata(const std::vector<LedgerRecord>& records) {
  size_t ok = 0, skipped = 0, error = 0;
  for (const auto& r : records) {
    ok += r.status == RecordStatus::kOk;
    skipped += r.status == RecordStatus::kSkipped;
    error += r.status == RecordStatus::kError;
  }
  std::ostringstream out;
  out << "<details id=\"metadata\"><summary>Run metadata (workload, environment, fingerprint)</summary>\n"
      << "<dl class=\"facts\"><dt>Combinations</dt><dd>" << records.size() << " (" << ok << " ok, " << skipped
      << " skipped, " << error << " error)</dd>";
  if (!records.empty()) {
    const auto& r = records.front();
    out << "<dt>matrix</dt><dd>" << html_escape(r.matrix) << "</dd><dt>mode</dt><dd>" << html_escape(r.mode)
        << "</dd><dt>repetitions</dt><dd>" << r.repetitions << "</dd><dt>warmup</dt><dd>" << r.warmup << "</dd>"
        << "<dt>command</dt><dd>" << html_escape(r.command) << "</dd><dt>fingerprint</dt><dd>"
        << html_escape(r.fingerprint_key) << "</dd>";
    flatten_facts(out, "workload", r.workload);
    flatten_facts(out, "environment", r.environment);
  }
  out << "</dl></details>\n";
  return out.str();
}

}  // namespace html_report_detail

std::string html_report(const std::vector<LedgerRecord>& records, const std::string& title,
                        const std::vector<ReportThumbnail>& thumbnails) {
  using namespace html_report_detail;
  const std::vector<RecordVerdict> verdicts = verdicts_vs_baseline(records);
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << html_escape(title)
      << "</title>\n<style>" << kCss << "</style></head>\n<body>\n<h1>" << html_escape(title) << "</h1>\n"
      << headline(records, verdicts) << medians_section(records, verdicts)
      << stacked_section(records, "phases", "Phase breakdown (median ms)", phase_segments, "phase", true)
      << waterfall_section(records) << effects_section(records) << latency_section(records)
      << stacked_section(records, "collectives", "Collectives (ms)", collective_segments, "collective", false)
      << thumbnails_section(thumbnails) << "<h2>All combinations</h2>\n" << summary_table(records, verdicts)
      << metadata(records) << "<script>\n" << kScript << "</script>\n</body></html>\n";
  return out.str();
}

}  // namespace ablate
