// Inline SVG charts for the HTML report: horizontal bars (one row per combination) with min–max
// whiskers, and stacked bars (phases, collectives). Labels are escaped here; ids and classes are
// stable so tests and readers can find the elements: <svg id=..>, class="bar" per row (a <rect>,
// or a <g> around a stacked row's class="segment" rects), data-combination on each bar.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace ablate {

struct WhiskerRow {
  std::string label;     // the combination
  double value = 0.0;    // bar length (median)
  double lo = 0.0;       // whisker from (min)
  double hi = 0.0;       // whisker to (max)
  bool highlight = false;  // drawn in the reference colour (baseline)
};

/// One bar per row with a lo–hi whisker and the value printed after it, in `unit`.
std::string svg_whisker_chart(const std::string& id, const std::string& unit, const std::vector<WhiskerRow>& rows);

struct StackedRow {
  std::string label;                                    // the combination
  std::vector<std::pair<std::string, double>> segments;  // (key, value), drawn left to right
};

/// One stacked bar per row; each segment is a rect with data-<segment_attr>="key", coloured by the
/// key's position in `keys` (which is also the legend's order), and the row total after the bar.
std::string svg_stacked_chart(const std::string& id, const std::string& unit, const std::string& segment_attr,
                              const std::vector<std::string>& keys, const std::vector<StackedRow>& rows);

/// The categorical colour for index i (Tableau 10, cycled).
const char* chart_color(size_t i);

}  // namespace ablate
