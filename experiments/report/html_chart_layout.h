// The geometry every report chart shares: a label column, a plot with a linear x axis and "nice"
// ticks, a column for the printed value, and the fills of the verdict tones. Used by
// html_charts.cpp only.
#pragma once
#include <sstream>
#include <string>

namespace ablate::chart {

// clang-format off
constexpr double kWidth      = 960;  // whole chart
constexpr double kLabelWidth = 280;  // row labels, right-aligned against the plot
constexpr double kValueWidth = 210;  // the printed value after a bar ("-236.5 ms (-2.6 %)")
constexpr double kTop        = 26;   // tick labels above the plot
constexpr double kRow        = 22;
constexpr double kBar        = 14;
constexpr size_t kLabelChars = 42;   // ~6.5 px per character at 12 px
// clang-format on
constexpr double kPlotWidth = kWidth - kLabelWidth - kValueWidth;

// A linear axis over [lo, hi] with a tick every `step`.
struct Axis {
  double lo = 0.0;
  double hi = 1.0;
  double step = 0.2;
  double x(double v) const;  // clamped to the plot
};

// [0, a round number >= max_value] with about 5 ticks (1, 2 or 5 times a power of ten).
Axis zero_based_axis(double max_value);
// A round range holding [lo, hi] (either may be negative) with about 5 ticks.
Axis spanning_axis(double lo, double hi);

// <svg id=.. class="chart" ...> of the full width and `height`.
void open_svg(std::ostringstream& out, const std::string& id, double height);
// Grid lines and tick labels from kTop down to `bottom`, the unit left of the first tick.
void draw_axis(std::ostringstream& out, const Axis& axis, const std::string& unit, double bottom);
// The row label (truncated, full text in <title>), vertically centred in [y, y + height).
void draw_label(std::ostringstream& out, const std::string& label, double y, double height = kRow);

// Fill of a bar by tone: "faster" (green), "slower" (red), "reference" (the baseline, dark grey),
// anything else neutral: colour is kept for decided verdicts.
const char* tone_fill(const std::string& tone);

// One decimal ("12.3"); signed ("+12.3", "-0.4") for changes.
std::string num(double v);
std::string signed_num(double v);

}  // namespace ablate::chart
