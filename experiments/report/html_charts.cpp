// The report's SVG charts on the shared layout of html_chart_layout.h: one 22 px row per
// combination (or effect), labels in the left column, values after the bars.
#include "experiments/report/html_charts.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "experiments/report/html_chart_layout.h"
#include "experiments/report/html_text.h"

namespace ablate {
namespace html_charts_detail {

using namespace chart;

double rows_bottom(size_t rows) { return kTop + kRow * double(rows); }

// class="bar" plus the tone when it is a decided verdict (never for neutral or reference bars).
std::string bar_class(const std::string& tone) {
  return tone == "faster" || tone == "slower" ? "bar " + tone : "bar";
}

void whisker(std::ostringstream& out, const std::string& name, double x0, double x1, double mid) {
  out << "<g class=\"whisker\" data-combination=\"" << name << "\"><line x1=\"" << x0 << "\" y1=\"" << mid
      << "\" x2=\"" << x1 << "\" y2=\"" << mid << "\"/><line x1=\"" << x0 << "\" y1=\"" << mid - 5 << "\" x2=\"" << x0
      << "\" y2=\"" << mid + 5 << "\"/><line x1=\"" << x1 << "\" y1=\"" << mid - 5 << "\" x2=\"" << x1
      << "\" y2=\"" << mid + 5 << "\"/></g>";
}

}  // namespace html_charts_detail

const char* chart_color(size_t i) {
  static const char* kColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return kColors[i % 10];
}

std::string svg_whisker_chart(const std::string& id, const std::string& unit, const std::vector<WhiskerRow>& rows) {
  using namespace chart;
  using namespace html_charts_detail;
  double max_value = 0;
  for (const WhiskerRow& r : rows) max_value = std::max({max_value, r.value, r.hi});
  const Axis axis = zero_based_axis(max_value);
  std::ostringstream out;
  open_svg(out, id, rows_bottom(rows.size()) + 8);
  draw_axis(out, axis, unit, rows_bottom(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    const WhiskerRow& r = rows[i];
    const double y = kTop + kRow * double(i);
    const double mid = y + kRow / 2;
    const std::string name = html_escape(r.label);
    draw_label(out, r.label, y);
    out << "<rect class=\"" << bar_class(r.tone) << "\" data-combination=\"" << name << "\" data-verdict=\""
        << html_escape(r.verdict) << "\" x=\"" << kLabelWidth << "\" y=\"" << y + (kRow - kBar) / 2 << "\" width=\""
        << axis.x(r.value) - kLabelWidth << "\" height=\"" << kBar << "\" fill=\"" << tone_fill(r.tone) << "\"><title>"
        << name << ": median " << num(r.value) << " " << html_escape(unit) << ", 95 % CI " << num(r.lo) << "–"
        << num(r.hi) << (r.verdict.empty() ? "" : ", " + html_escape(r.verdict)) << "</title></rect>";
    const double x0 = axis.x(r.lo), x1 = axis.x(r.hi);
    whisker(out, name, x0, x1, mid);
    out << "<text class=\"value\" x=\"" << std::max(axis.x(r.value), x1) + 6 << "\" y=\"" << mid + 4 << "\">"
        << num(r.value) << "</text>\n";
  }
  out << "</svg>\n";
  return out.str();
}

std::string svg_stacked_chart(const std::string& id, const std::string& unit, const std::string& segment_attr,
                              const std::vector<std::string>& keys, const std::vector<StackedRow>& rows) {
  using namespace chart;
  using namespace html_charts_detail;
  double max_total = 0;
  for (const StackedRow& r : rows) {
    double total = 0;
    for (const auto& s : r.segments) total += std::max(0.0, s.second);
    max_total = std::max(max_total, total);
  }
  const Axis axis = zero_based_axis(max_total);
  const std::string attr = html_escape(segment_attr);
  std::ostringstream out;
  open_svg(out, id, rows_bottom(rows.size()) + 8);
  draw_axis(out, axis, unit, rows_bottom(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    const StackedRow& r = rows[i];
    const double y = kTop + kRow * double(i);
    const std::string name = html_escape(r.label);
    draw_label(out, r.label, y);
    out << "<g class=\"bar\" data-combination=\"" << name << "\">";
    double total = 0;
    for (const auto& [key, value] : r.segments) {
      const size_t k = size_t(std::find(keys.begin(), keys.end(), key) - keys.begin());
      const double x0 = axis.x(total);
      total += std::max(0.0, value);
      out << "<rect class=\"segment\" data-combination=\"" << name << "\" data-" << attr << "=\""
          << html_escape(key) << "\" x=\"" << x0 << "\" y=\"" << y + (kRow - kBar) / 2 << "\" width=\""
          << axis.x(total) - x0 << "\" height=\"" << kBar << "\" fill=\"" << chart_color(k) << "\"><title>" << name
          << " · " << html_escape(key) << ": " << num(value) << " " << html_escape(unit) << "</title></rect>";
    }
    out << "</g><text class=\"value\" x=\"" << axis.x(total) + 6 << "\" y=\"" << y + kRow / 2 + 4 << "\">"
        << num(total) << "</text>\n";
  }
  out << "</svg>\n";
  // The legend is HTML (it wraps), in the same colours.
  out << "<div class=\"legend\" data-chart=\"" << html_escape(id) << "\">";
  for (size_t k = 0; k < keys.size(); ++k) {
    out << "<span class=\"key\"><i style=\"background:" << chart_color(k) << "\"></i>" << html_escape(keys[k])
        << "</span>";
  }
  out << "</div>\n";
  return out.str();
}

std::string svg_span_chart(const std::string& id, const std::string& unit, const std::vector<SpanRow>& rows) {
  using namespace chart;
  using namespace html_charts_detail;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const SpanRow& r : rows) {
    for (double v : {r.from, r.to, r.ci_lo, r.ci_hi}) {
      if (!std::isfinite(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (!std::isfinite(lo)) lo = hi = 0;
  const Axis axis = spanning_axis(lo, hi);
  const double bottom = rows_bottom(rows.size());
  std::ostringstream out;
  open_svg(out, id, bottom + 8);
  draw_axis(out, axis, unit, bottom);
  if (axis.lo < 0 && axis.hi > 0)
    out << "<line class=\"zero\" x1=\"" << axis.x(0) << "\" y1=\"" << kTop - 4 << "\" x2=\"" << axis.x(0)
        << "\" y2=\"" << bottom << "\" stroke=\"#333\"/>\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const SpanRow& r = rows[i];
    const double y = kTop + kRow * double(i);
    const double mid = y + kRow / 2;
    const std::string name = html_escape(r.label);
    draw_label(out, r.label, y);
    const double x0 = axis.x(std::min(r.from, r.to)), x1 = axis.x(std::max(r.from, r.to));
    out << "<rect class=\"" << bar_class(r.tone) << "\" data-row=\"" << name << "\" data-kind=\"" << html_escape(r.kind)
        << "\" x=\"" << x0 << "\" y=\"" << y + (kRow - kBar) / 2 << "\" width=\"" << std::max(1.0, x1 - x0)
        << "\" height=\"" << kBar << "\" fill=\"" << tone_fill(r.tone) << "\"><title>" << name << ": "
        << html_escape(r.text) << "</title></rect>";
    double right = x1;
    if (std::isfinite(r.ci_lo) && std::isfinite(r.ci_hi)) {
      whisker(out, name, axis.x(r.ci_lo), axis.x(r.ci_hi), mid);
      right = std::max(right, axis.x(r.ci_hi));
    }
    out << "<text class=\"value\" x=\"" << right + 6 << "\" y=\"" << mid + 4 << "\">" << html_escape(r.text)
        << "</text>\n";
  }
  out << "</svg>\n";
  return out.str();
}

}  // namespace ablate
