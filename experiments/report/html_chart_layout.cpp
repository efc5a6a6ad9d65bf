// Axes, labels and tones shared by the report's SVG charts.
#include "experiments/report/html_chart_layout.h"

#include <algorithm>
#include <cmath>

#include "experiments/report/html_text.h"

namespace ablate::chart {
namespace {

// 1, 2 or 5 times a power of ten, the smallest >= span / 5.
double nice_step(double span) {
  if (!(span > 0) || !std::isfinite(span)) return 0.2;
  const double raw = span / 5.0;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0}) {
    if (raw <= m * mag) return m * mag;
  }
  return 10.0 * mag;
}

// Decimals that print every tick of `step` exactly enough (0 for steps >= 1).
int tick_digits(double step) { return step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9)); }

}  // namespace

double Axis::x(double v) const {
  const double t = hi > lo ? (v - lo) / (hi - lo) : 0.0;
  return kLabelWidth + std::clamp(t, 0.0, 1.0) * kPlotWidth;
}

Axis zero_based_axis(double max_value) {
  if (!(max_value > 0) || !std::isfinite(max_value)) return {0.0, 1.0, 0.2};
  const double step = nice_step(max_value);
  return {0.0, std::ceil(max_value / step - 1e-9) * step, step};
}

Axis spanning_axis(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0.0, 1.0, 0.2};
  if (hi < lo) std::swap(lo, hi);
  if (hi - lo <= 0) {  // one value: a small window around it
    const double pad = std::max(1.0, std::fabs(hi) * 0.01);
    lo -= pad;
    hi += pad;
  }
  const double step = nice_step(hi - lo);
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step, step};
}

void open_svg(std::ostringstream& out, const std::string& id, double height) {
  out << "<svg id=\"" << html_escape(id) << "\" class=\"chart\" width=\"" << kWidth << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << kWidth << " " << height << "\" role=\"img\">\n";
}

void draw_axis(std::ostringstream& out, const Axis& axis, const std::string& unit, double bottom) {
  const int digits = tick_digits(axis.step);
  out << "<g class=\"axis\">";
  const int ticks = static_cast<int>(std::lround((axis.hi - axis.lo) / axis.step));
  for (int i = 0; i <= ticks; ++i) {
    const double t = axis.lo + axis.step * i;
    const double x = axis.x(t);
    out << "<line x1=\"" << x << "\" y1=\"" << kTop - 4 << "\" x2=\"" << x << "\" y2=\"" << bottom
        << "\" class=\"grid\"/><text x=\"" << x << "\" y=\"" << kTop - 8 << "\" text-anchor=\"middle\">"
        << html_escape(format_fixed(std::fabs(t) < axis.step * 1e-9 ? 0.0 : t, digits)) << "</text>";
  }
  out << "<text x=\"" << kLabelWidth - 28 << "\" y=\"" << kTop - 8 << "\" text-anchor=\"end\">" << html_escape(unit)
      << "</text></g>\n";
}

void draw_label(std::ostringstream& out, const std::string& label, double y, double height) {
  out << "<text class=\"label\" x=\"" << kLabelWidth - 8 << "\" y=\"" << y + height / 2 + 4
      << "\" text-anchor=\"end\"><title>" << html_escape(label) << "</title>"
      << html_escape(truncate_label(label, kLabelChars)) << "</text>";
}

const char* tone_fill(const std::string& tone) {
  if (tone == "faster") return "#2e9d4f";
  if (tone == "slower") return "#d64545";
  if (tone == "reference") return "#5f6b7a";
  return "#a9b8c8";
}

std::string num(double v) { return format_fixed(v, 1); }

std::string signed_num(double v) {
  const std::string text = format_fixed(v, 1);
  if (text == "-0.0") return "0.0";
  return (v > 0 && text != "0.0" ? "+" : "") + text;
}

}  // namespace ablate::chart
