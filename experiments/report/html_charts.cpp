// SVG layout for the report's charts: a label column, a linear x axis from 0 with "nice" ticks,
// one 22 px row per combination.
#include "experiments/report/html_charts.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "experiments/report/html_text.h"

namespace ablate {
namespace {

// clang-format off
constexpr double kWidth      = 860;  // whole chart
constexpr double kLabelWidth = 300;  // combination names, right-aligned against the plot
constexpr double kValueWidth = 90;   // the printed value after the longest bar
constexpr double kTop        = 26;   // tick labels above the plot
constexpr double kRow        = 22;
constexpr double kBar        = 14;
constexpr size_t kLabelChars = 44;   // ~6.5 px per character at 12 px
// clang-format on
constexpr double kPlotWidth = kWidth - kLabelWidth - kValueWidth;

std::string num(double v) { return format_fixed(v, 1); }

// A round axis end and step (1, 2 or 5 times a power of ten) giving about 5 ticks.
std::pair<double, double> nice_axis(double max_value) {
  if (!(max_value > 0) || !std::isfinite(max_value)) return {1.0, 0.2};
  const double raw = max_value / 5.0;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (raw <= step) break;
  }
  return {std::ceil(max_value / step - 1e-9) * step, step};
}

struct Axis {
  double end = 1.0;
  double step = 0.2;
  double x(double v) const { return kLabelWidth + std::max(0.0, v) / end * kPlotWidth; }
};

void open_svg(std::ostringstream& out, const std::string& id, size_t rows) {
  const double height = kTop + kRow * double(rows) + 8;
  out << "<svg id=\"" << html_escape(id) << "\" class=\"chart\" width=\""
      << kWidth << "\" height=\"" << height << "\" viewBox=\"0 0 " << kWidth << " " << height << "\" role=\"img\">\n";
}

// Grid lines and tick labels for `rows` rows.
void draw_axis(std::ostringstream& out, const Axis& axis, const std::string& unit, size_t rows) {
  const double bottom = kTop + kRow * double(rows);
  out << "<g class=\"axis\">";
  for (double t = 0; t <= axis.end + axis.step / 2; t += axis.step) {
    const double x = axis.x(t);
    out << "<line x1=\"" << x << "\" y1=\"" << kTop - 4 << "\" x2=\"" << x << "\" y2=\"" << bottom
        << "\" class=\"grid\"/><text x=\"" << x << "\" y=\"" << kTop - 8 << "\" text-anchor=\"middle\">"
        << html_escape(format_fixed(t, axis.step < 1 ? 1 : 0)) << "</text>";
  }
  out << "<text x=\"" << kLabelWidth - 8 << "\" y=\"" << kTop - 8 << "\" text-anchor=\"end\">" << html_escape(unit)
      << "</text></g>\n";
}

void draw_label(std::ostringstream& out, const std::string& label, double y) {
  out << "<text class=\"label\" x=\"" << kLabelWidth - 8 << "\" y=\"" << y + kRow / 2 + 4
      << "\" text-anchor=\"end\"><title>" << html_escape(label) << "</title>"
      << html_escape(truncate_label(label, kLabelChars)) << "</text>";
}

}  // namespace

const char* chart_color(size_t i) {
  static const char* kColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return kColors[i % 10];
}

std::string svg_whisker_chart(const std::string& id, const std::string& unit, const std::vector<WhiskerRow>& rows) {
  double max_value = 0;
  for (const WhiskerRow& r : rows) max_value = std::max({max_value, r.value, r.hi});
  const auto [end, step] = nice_axis(max_value);
  const Axis axis{end, step};
  std::ostringstream out;
  open_svg(out, id, rows.size());
  draw_axis(out, axis, unit, rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const WhiskerRow& r = rows[i];
    const double y = kTop + kRow * double(i);
    const double mid = y + kRow / 2;
    const std::string name = html_escape(r.label);
    draw_label(out, r.label, y);
    out << "<rect class=\"bar\" data-combination=\"" << name << "\" x=\"" << kLabelWidth << "\" y=\""
        << y + (kRow - kBar) / 2 << "\" width=\"" << axis.x(r.value) - kLabelWidth << "\" height=\"" << kBar
        << "\" fill=\"" << (r.highlight ? "#9aa5b1" : chart_color(0)) << "\"><title>" << name << ": median "
        << num(r.value) << " " << html_escape(unit) << ", min " << num(r.lo) << ", max " << num(r.hi)
        << "</title></rect>";
    // min–max whisker with end caps
    const double x0 = axis.x(r.lo), x1 = axis.x(r.hi);
    out << "<g class=\"whisker\" data-combination=\"" << name << "\"><line x1=\"" << x0 << "\" y1=\"" << mid
        << "\" x2=\"" << x1 << "\" y2=\"" << mid << "\"/><line x1=\"" << x0 << "\" y1=\"" << mid - 5 << "\" x2=\""
        << x0 << "\" y2=\"" << mid + 5 << "\"/><line x1=\"" << x1 << "\" y1=\"" << mid - 5 << "\" x2=\"" << x1
        << "\" y2=\"" << mid + 5 << "\"/></g>";
    out << "<text class=\"value\" x=\"" << std::max(axis.x(r.value), x1) + 6 << "\" y=\"" << mid + 4 << "\">"
        << num(r.value) << "</text>\n";
  }
  out << "</svg>\n";
  return out.str();
}

std::string svg_stacked_chart(const std::string& id, const std::string& unit, const std::string& segment_attr,
                              const std::vector<std::string>& keys, const std::vector<StackedRow>& rows) {
  double max_total = 0;
  for (const StackedRow& r : rows) {
    double total = 0;
    for (const auto& s : r.segments) total += std::max(0.0, s.second);
    max_total = std::max(max_total, total);
  }
  const auto [end, step] = nice_axis(max_total);
  const Axis axis{end, step};
  const std::string attr = html_escape(segment_attr);
  std::ostringstream out;
  open_svg(out, id, rows.size());
  draw_axis(out, axis, unit, rows.size());
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

}  // namespace ablate
