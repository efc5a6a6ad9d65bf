// Inline SVG charts for the HTML report: bars with whiskers (median and CI per combination), stacked
// bars (phases, collectives) and signed spans (the stack waterfall, factorial effects with CIs).
// Labels are escaped here; ids and classes are stable so tests and readers can find the elements:
// <svg id=..>, class="bar" per row (a <rect>, or a <g> around a stacked row's class="segment"
// rects), data-combination (or data-row) on each bar. A bar gets a colour class ("faster",
// "slower") only when its tone is a decided verdict.
#pragma once
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace ablate {

struct WhiskerRow {
  std::string label;  // the combination
  double value = 0.0;  // bar length (median)
  double lo = 0.0;     // whisker from (CI low)
  double hi = 0.0;     // whisker to (CI high)
  std::string tone;    // "faster" | "slower" | "reference" | "" (chart::tone_fill)
  std::string verdict;  // printed in the bar's tooltip and data-verdict
};

/// One bar per row from 0 with a lo–hi whisker and the value printed after it, in `unit`.
std::string svg_whisker_chart(const std::string& id, const std::string& unit, const std::vector<WhiskerRow>& rows);

struct StackedRow {
  std::string label;                                    // the combination
  std::vector<std::pair<std::string, double>> segments;  // (key, value), drawn left to right
};

/// One stacked bar per row; each segment is a rect with data-<segment_attr>="key", coloured by the
/// key's position in `keys` (which is also the legend's order), and the row total after the bar.
std::string svg_stacked_chart(const std::string& id, const std::string& unit, const std::string& segment_attr,
                              const std::vector<std::string>& keys, const std::vector<StackedRow>& rows);

struct SpanRow {
  std::string label;
  double from = 0.0, to = 0.0;  // the bar spans [from, to] (either order)
  double ci_lo = std::numeric_limits<double>::quiet_NaN();  // whisker, when both are finite
  double ci_hi = std::numeric_limits<double>::quiet_NaN();
  std::string tone;   // as WhiskerRow
  std::string text;   // printed after the bar ("-12.3 ms (-4.1 %)")
  std::string kind;   // data-kind: "total" | "step" | "main" | "interaction"
};

/// One bar per row between from and to on an axis spanning every value (a zero line when 0 is in
/// range), with its CI whisker and text: the waterfall and the factorial effects.
std::string svg_span_chart(const std::string& id, const std::string& unit, const std::vector<SpanRow>& rows);

/// The categorical colour for index i (Tableau 10, cycled).
const char* chart_color(size_t i);

}  // namespace ablate
