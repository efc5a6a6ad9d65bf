// The HTML report: header facts, the summary table, and the charts from html_charts.
#include "experiments/report/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "experiments/report/html_charts.h"
#include "experiments/report/html_text.h"
#include "experiments/runner/ledger_view.h"

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

std::string combination(const json& r) {
  const std::string c = ledger_string(r, "combination");
  return c.empty() ? "?" : c;
}

bool is_ok(const json& r) { return ledger_string(r, "status") == "ok"; }

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

std::string status_cell(const json& r) {
  const std::string status = ledger_string(r, "status");
  const std::string reason = ledger_string(r, "reason");
  std::string text = html_escape(status.empty() ? "?" : status);
  if (!reason.empty()) text += ": " + html_escape(reason);
  if (ledger_string(r, "validity") == "INVALID") {
    std::string reasons;
    if (r.contains("invalid_reasons") && r["invalid_reasons"].is_array()) {
      for (const json& why : r["invalid_reasons"]) {
        reasons += (reasons.empty() ? "" : "; ") + (why.is_string() ? why.get<std::string>() : why.dump());
      }
    }
    text += " · <span class=\"bad\">INVALID</span>" + (reasons.empty() ? "" : ": " + html_escape(reasons));
  }
  return td(text);
}

std::string md5_cell(const json& r) {
  const std::string md5 = ledger_string(r, "md5");
  if (!r.contains("md5_ok") || r["md5_ok"].is_null()) {
    return td(md5.empty() ? "–" : "<code>" + html_escape(md5.substr(0, 8)) + "</code>");
  }
  if (!r["md5_ok"].is_boolean()) {
    throw std::invalid_argument("ledger record '" + combination(r) +
                                "': expected a boolean or null for md5_ok, but got " + r["md5_ok"].dump());
  }
  if (r["md5_ok"].get<bool>()) return td("✓ same");
  std::string text = "<span class=\"bad\">✗ differs</span>";
  const json& d = r.value("first_divergence", json());
  if (d.is_object()) {
    text += html_escape(" at chunk " + d.value("chunk", json()).dump() + " step " + d.value("step", json()).dump());
  }
  return td(text);
}

std::string syncs_cell(const json& r) {
  std::optional<double> dit, total;
  for (const auto& [key, value] : ledger_breakdown(r, "syncs")) {
    if (key == "dit") dit = value;
    if (key == "total") total = value;
  }
  if (!dit && !total) return td("–");
  std::string text = (dit ? format_fixed(*dit, 0) : "–") + " / " + (total ? format_fixed(*total, 0) : "–");
  return td(text, total ? total : dit);
}

std::string delta_cell(const LedgerTimes& t, std::optional<double> baseline, bool is_baseline) {
  if (is_baseline) return td("baseline", 0.0);
  if (!t.median || !baseline || *baseline <= 0) return td("–");
  const double diff = *t.median - *baseline;
  const double rel = diff / *baseline;
  const std::string sign = diff > 0 ? "+" : "";
  return td(sign + format_fixed(100 * rel, 1) + " % (" + sign + format_fixed(diff, 1) + " ms)", rel,
            rel < 0 ? "faster" : rel > 0 ? "slower" : "");
}

std::optional<double> baseline_median(const std::vector<json>& records) {
  for (const json& r : records) {
    if (combination(r) == "baseline" && is_ok(r)) return ledger_times(r).median;
  }
  return std::nullopt;
}

std::string summary_table(const std::vector<json>& records) {
  const std::optional<double> baseline = baseline_median(records);
  std::ostringstream out;
  out << "<table id=\"summary\"><thead><tr><th>Combination</th><th>Status</th><th>Median ms</th>"
         "<th>Spread (min–max, CV)</th><th>Δ vs baseline</th><th>Tier</th><th>MD5</th><th>Syncs (DiT / total)</th>"
         "<th>NCCL ms</th><th>Peak memory</th><th>Cold ms</th></tr></thead>\n<tbody>\n";
  for (const json& r : records) {
    const std::string name = combination(r);
    const std::string status = ledger_string(r, "status");
    const LedgerTimes t = ledger_times(r);
    std::string spread = "–";
    if (t.min && t.max) {
      spread = format_fixed(*t.min, 1) + "–" + format_fixed(*t.max, 1);
      if (t.cv) spread += " (" + format_fixed(100 * *t.cv, 1) + " %)";
    }
    const auto peak = ledger_peak_memory(r);
    std::string memory = "–";
    if (peak) {
      memory = format_bytes(peak->first);
      if (peak->second > 1) memory += " (max of " + std::to_string(peak->second) + " ranks)";
    }
    const std::string tier = ledger_string(r, "tier");
    out << "<tr class=\"combination " << html_escape(status) << "\" data-combination=\"" << html_escape(name)
        << "\" data-status=\"" << html_escape(status) << "\">" << td("<b>" + html_escape(name) + "</b>")
        << status_cell(r) << td(optional_ms(t.median), t.median) << td(html_escape(spread), t.cv)
        << delta_cell(t, baseline, name == "baseline" && is_ok(r)) << td(tier.empty() ? "–" : html_escape(tier))
        << md5_cell(r) << syncs_cell(r) << td(optional_ms(ledger_number(r, "nccl_ms")), ledger_number(r, "nccl_ms"))
        << td(html_escape(memory), peak ? std::optional<double>(peak->first) : std::nullopt)
        << td(optional_ms(ledger_number(r, "cold_ms")), ledger_number(r, "cold_ms")) << "</tr>\n";
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

std::string stacked_section(const std::vector<json>& records, const char* id, const char* heading,
                            const char* key, const char* sub, const char* attr, bool pipeline_order) {
  std::vector<StackedRow> rows;
  for (const json& r : records) {
    auto segments = ledger_breakdown(r, key, sub);
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

std::string medians_section(const std::vector<json>& records) {
  std::vector<WhiskerRow> rows;
  for (const json& r : records) {
    const LedgerTimes t = ledger_times(r);
    if (!is_ok(r) || !t.median) continue;
    rows.push_back({combination(r), *t.median, t.min.value_or(*t.median), t.max.value_or(*t.median),
                    combination(r) == "baseline"});
  }
  if (rows.empty()) return "";
  return "<h2>Median generate() time per combination (whiskers: min–max)</h2>\n" +
         svg_whisker_chart("medians", "ms", rows);
}

// Facts shared by the run: from the first record that has them.
std::string facts(const std::vector<json>& records) {
  size_t ok = 0, skipped = 0, error = 0;
  for (const json& r : records) {
    const std::string s = ledger_string(r, "status");
    ok += s == "ok";
    skipped += s == "skipped";
    error += s == "error";
  }
  std::ostringstream out;
  out << "<dl class=\"facts\"><dt>Combinations</dt><dd>" << records.size() << " (" << ok << " ok, " << skipped
      << " skipped, " << error << " error)</dd>";
  auto first_with = [&](const char* key) -> const json* {
    for (const json& r : records) {
      if (r.contains(key) && !r[key].is_null()) return &r[key];
    }
    return nullptr;
  };
  for (const char* key : {"matrix", "repetitions", "warmup"}) {
    if (const json* v = first_with(key)) {
      out << "<dt>" << key << "</dt><dd>" << html_escape(v->is_string() ? v->get<std::string>() : v->dump()) << "</dd>";
    }
  }
  for (const char* group : {"workload", "environment"}) {
    const json* obj = first_with(group);
    if (obj == nullptr || !obj->is_object()) continue;
    for (auto it = obj->begin(); it != obj->end(); ++it) {
      out << "<dt>" << html_escape(it.key()) << "</dt><dd>"
          << html_escape(it->is_string() ? it->get<std::string>() : it->dump()) << "</dd>";
    }
  }
  out << "</dl>\n";
  return out.str();
}

}  // namespace

std::string html_report(const std::vector<json>& records, const std::string& title) {
  for (const json& r : records) {
    if (!r.is_object()) {
      throw std::invalid_argument("html_report: expected each record to be an object, but got " + r.dump());
    }
  }
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << html_escape(title)
      << "</title>\n<style>" << kCss << "</style></head>\n<body>\n<h1>" << html_escape(title) << "</h1>\n"
      << facts(records) << "<h2>Summary</h2>\n" << summary_table(records) << medians_section(records)
      << stacked_section(records, "phases", "Phase breakdown (median ms)", "phases_ms", nullptr, "phase", true)
      << stacked_section(records, "collectives", "Collectives (ms)", "collectives", "ms", "collective", false)
      << "<script>\n" << kScript << "</script>\n</body></html>\n";
  return out.str();
}

}  // namespace ablate
