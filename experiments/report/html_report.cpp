// The HTML report: header facts, the summary table, and the charts from html_charts.
#include "experiments/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <optional>
#include <sstream>

#include "experiments/report/html_charts.h"
#include "experiments/report/html_text.h"
#include "experiments/stats/statistics.h"

namespace ablate {
namespace {

using nlohmann::json;

const char kCss[] = R"(body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
dl.facts{display:grid;grid-template-columns:max-content auto;gap:2px 14px}
dl.facts dt{color:#666}dl.facts dd{margin:0}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}
th{cursor:pointer;background:#f4f4f4;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.skipped td,tr.error td{color:#888}.faster{color:#1a7f37}.slower{color:#c62828}.bad{color:#c62828;font-weight:600}
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

std::string delta_cell(const Times& t, std::optional<double> baseline, bool is_baseline) {
  if (is_baseline) return td("baseline", 0.0);
  if (!t.median || !baseline || *baseline <= 0) return td("–");
  const double diff = *t.median - *baseline;
  const double rel = diff / *baseline;
  const std::string sign = diff > 0 ? "+" : "";
  return td(sign + format_fixed(100 * rel, 1) + " % (" + sign + format_fixed(diff, 1) + " ms)", rel,
            rel < 0 ? "faster" : rel > 0 ? "slower" : "");
}

std::optional<double> baseline_median(const std::vector<LedgerRecord>& records) {
  for (const auto& r : records) {
    if (combination(r) == "baseline" && is_ok(r)) return times_of(r).median;
  }
  return std::nullopt;
}

std::string summary_table(const std::vector<LedgerRecord>& records) {
  const std::optional<double> baseline = baseline_median(records);
  std::ostringstream out;
  out << "<table id=\"summary\"><thead><tr><th>Combination</th><th>Status</th><th>Median ms</th>"
         "<th>Spread (min–max, CV)</th><th>Δ vs baseline</th><th>Tier</th><th>MD5</th><th>Syncs (DiT / total)</th>"
         "<th>NCCL ms</th><th>Peak memory</th><th>Cold ms</th></tr></thead>\n<tbody>\n";
  for (const auto& r : records) {
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
        << "\" data-status=\"" << html_escape(status) << "\">" << td("<b>" + html_escape(name) + "</b>")
        << status_cell(r) << td(optional_ms(t.median), t.median) << td(html_escape(spread), t.cv)
        << delta_cell(t, baseline, name == "baseline" && is_ok(r)) << td(r.tier.empty() ? "–" : html_escape(r.tier))
        << html_md5_cell(r) << syncs_cell(r) << td(optional_ms(nccl), nccl) << td(html_escape(memory), peak)
        << td(optional_ms(r.cold_ms), r.cold_ms) << "</tr>\n";
  }
  out << "</tbody></table>\n";
  return out.str();
}

// Pipeline order: text encode, VAE encode, chunk0, chunk1, ..., VAE decode, then anything else.
std::pair<int, long> phase_rank(const std::string& phase) {
  if (phase == "text_encode") return {0, 0};
  if (phase == "vae_encode") return {1, 0};
  if (phase.rfind("chunk", 0) == 0 && phase.size() > 5 &&
      phase.find_first_not_of("0123456789", 5) == std::string::npos) {
    return {2, std::atol(phase.c_str() + 5)};
  }
  if (phase == "vae_decode") return {3, 0};
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

std::string medians_section(const std::vector<LedgerRecord>& records) {
  std::vector<WhiskerRow> rows;
  for (const auto& r : records) {
    const Times t = times_of(r);
    if (!is_ok(r) || !t.median) continue;
    rows.push_back({combination(r), *t.median, t.min.value_or(*t.median), t.max.value_or(*t.median),
                    combination(r) == "baseline"});
  }
  if (rows.empty()) return "";
  return "<h2>Median generate() time per combination (whiskers: min–max)</h2>\n" +
         svg_whisker_chart("medians", "ms", rows);
}

std::string fact_text(const json& v) { return html_escape(v.is_string() ? v.get<std::string>() : v.dump()); }

// Facts shared by the run: from the first record.
std::string facts(const std::vector<LedgerRecord>& records) {
  size_t ok = 0, skipped = 0, error = 0;
  for (const auto& r : records) {
    ok += r.status == RecordStatus::kOk;
    skipped += r.status == RecordStatus::kSkipped;
    error += r.status == RecordStatus::kError;
  }
  std::ostringstream out;
  out << "<dl class=\"facts\"><dt>Combinations</dt><dd>" << records.size() << " (" << ok << " ok, " << skipped
      << " skipped, " << error << " error)</dd>";
  if (!records.empty()) {
    const auto& r = records.front();
    out << "<dt>matrix</dt><dd>" << html_escape(r.matrix) << "</dd><dt>repetitions</dt><dd>" << r.repetitions
        << "</dd><dt>warmup</dt><dd>" << r.warmup << "</dd>";
    for (const json* group : {&r.workload, &r.environment})
      for (auto it = group->begin(); it != group->end(); ++it)
        out << "<dt>" << html_escape(it.key()) << "</dt><dd>" << fact_text(*it) << "</dd>";
  }
  out << "</dl>\n";
  return out.str();
}

}  // namespace

std::string html_report(const std::vector<LedgerRecord>& records, const std::string& title) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << html_escape(title)
      << "</title>\n<style>" << kCss << "</style></head>\n<body>\n<h1>" << html_escape(title) << "</h1>\n"
      << facts(records) << "<h2>Summary</h2>\n" << summary_table(records) << medians_section(records)
      << stacked_section(records, "phases", "Phase breakdown (median ms)", phase_segments, "phase", true)
      << stacked_section(records, "collectives", "Collectives (ms)", collective_segments, "collective", false)
      << "<script>\n" << kScript << "</script>\n</body></html>\n";
  return out.str();
}

}  // namespace ablate
