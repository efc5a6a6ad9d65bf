// The uncertainty-aware speed/quality Pareto front (see pareto.h).
#include "experiments/stats/pareto.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <set>
#include <stdexcept>

namespace ablate::stats {
namespace {

std::string format(const char* fmt, double a, double b = 0.0, double c = 0.0, double d = 0.0, double e = 0.0) {
  char buf[320];
  std::snprintf(buf, sizeof(buf), fmt, a, b, c, d, e);
  return buf;
}

// How much better a's value is than b's (negative: worse). inf - inf is NaN: compares false both
// ways, so equal infinities are neither better nor worse.
double better_by(double a, double b, QualityDirection d) {
  switch (d) {
    case QualityDirection::kHigherBetter: return a - b;
    case QualityDirection::kLowerBetter: return b - a;
  }
  return 0.0;
}

void check_point(const ParetoPoint& p, const ParetoOptions& o) {
  const std::string where = "pareto_front: point " + p.name + ": ";
  if (std::isnan(p.time_ms) || std::isnan(p.time_ci.lo) || std::isnan(p.time_ci.hi))
    throw std::invalid_argument(where + "time: expected a number, found NaN");
  if (!p.time_ci.contains(p.time_ms))
    throw std::invalid_argument(where + "time_ci: expected an interval containing time_ms " +
                                format("%g, found [%g, %g]", p.time_ms, p.time_ci.lo, p.time_ci.hi));
  if (p.quality.size() != o.measures.size())
    throw std::invalid_argument(where + "quality: expected " + std::to_string(o.measures.size()) +
                                " values (one per measure), found " + std::to_string(p.quality.size()));
  for (size_t m = 0; m < p.quality.size(); ++m)
    if (std::isnan(p.quality[m]))
      throw std::invalid_argument(where + o.measures[m].name + ": expected a number, found NaN");
}

void check_options(const ParetoOptions& o) {
  if (!(o.min_time_gap_ms >= 0.0))
    throw std::invalid_argument("pareto_front: min_time_gap_ms: expected >= 0, found " +
                                std::to_string(o.min_time_gap_ms));
  for (const auto& m : o.measures)
    if (!(m.tolerance >= 0.0))
      throw std::invalid_argument("pareto_front: measure " + m.name + ": tolerance: expected >= 0, found " +
                                  std::to_string(m.tolerance));
}

}  // namespace

const char* quality_direction_name(QualityDirection d) {
  switch (d) {
    case QualityDirection::kHigherBetter: return "higher is better";
    case QualityDirection::kLowerBetter: return "lower is better";
  }
  return "?";
}

Dominance dominates(const ParetoPoint& a, const ParetoPoint& b, const ParetoOptions& o) {
  Dominance r;
  if (a.quality.size() != o.measures.size() || b.quality.size() != o.measures.size())
    throw std::invalid_argument("dominates: expected one quality value per measure (" +
                                std::to_string(o.measures.size()) + ")");
  // 1. not slower
  if (a.time_ms > b.time_ms) {
    r.reason = format("slower (%.3f vs %.3f ms)", a.time_ms, b.time_ms);
    return r;
  }
  const bool equal_time = a.time_ms == b.time_ms;
  const bool clearly_faster = a.time_ci.hi < b.time_ci.lo && b.time_ms - a.time_ms > o.min_time_gap_ms;
  std::string why = clearly_faster ? format("faster by %.3f ms (CI [%.3f, %.3f] below [%.3f, %.3f])",
                                            b.time_ms - a.time_ms, a.time_ci.lo, a.time_ci.hi, b.time_ci.lo,
                                            b.time_ci.hi)
                                   : format("not slower (%.3f vs %.3f ms)", a.time_ms, b.time_ms);
  bool clearly_better = clearly_faster;
  for (size_t m = 0; m < o.measures.size(); ++m) {
    const QualityMeasure& q = o.measures[m];
    const double tol = equal_time ? 0.0 : q.tolerance;
    const double gain = better_by(a.quality[m], b.quality[m], q.direction);
    const std::string values = format(" (%g vs %g)", a.quality[m], b.quality[m]);
    // 2. not worse beyond the tolerance
    if (-gain > tol) {
      r.reason = q.name + " worse" + values;
      return r;
    }
    // 3. or clearly better on this measure
    if (gain > q.tolerance) {
      clearly_better = true;
      why += "; " + q.name + " better" + values;
    } else if (gain < 0.0) {
      why += "; " + q.name + " within tolerance" + values;
    } else {
      why += "; " + q.name + " not worse" + values;
    }
  }
  if (!clearly_better) {
    r.reason = "not clearly better: " + why;
    return r;
  }
  r.dominates = true;
  r.reason = why;
  return r;
}

ParetoResult pareto_front(const std::vector<ParetoPoint>& points, const ParetoOptions& options) {
  check_options(options);
  std::set<std::string> names;
  for (const auto& p : points) {
    check_point(p, options);
    if (!names.insert(p.name).second) throw std::invalid_argument("pareto_front: duplicate point " + p.name);
  }
  std::vector<size_t> order(points.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return points[a].time_ms < points[b].time_ms; });

  std::vector<bool> on_front(points.size(), true);
  for (const size_t b : order)
    for (const size_t a : order)
      if (a != b && dominates(points[a], points[b], options).dominates) {
        on_front[b] = false;
        break;
      }
  ParetoResult r;
  for (const size_t b : order) {
    if (on_front[b]) {
      r.front.push_back(b);
      continue;
    }
    // Name a front point that dominates it when there is one (dominance with tolerances need not
    // be transitive), else the fastest that does.
    int by = -1;
    for (const bool front_only : {true, false}) {
      for (const size_t a : order)
        if (a != b && (!front_only || on_front[a]) && dominates(points[a], points[b], options).dominates) {
          by = static_cast<int>(a);
          break;
        }
      if (by >= 0) break;
    }
    const size_t a = static_cast<size_t>(by);
    r.dominated.push_back({b, a, points[a].name + " dominates: " + dominates(points[a], points[b], options).reason});
  }
  return r;
}

ParetoPoint pareto_point(std::string name, const std::vector<double>& samples_ms, std::vector<double> quality,
                         const BootstrapOptions& bootstrap) {
  ParetoPoint p;
  p.name = std::move(name);
  p.time_ms = median(samples_ms);
  p.time_ci = bootstrap_median_ci(samples_ms, bootstrap);
  // A percentile CI need not contain the sample median (even n, skewed samples); pareto_front
  // requires it to, so widen it to the median.
  p.time_ci.lo = std::min(p.time_ci.lo, p.time_ms);
  p.time_ci.hi = std::max(p.time_ci.hi, p.time_ms);
  p.quality = std::move(quality);
  return p;
}

}  // namespace ablate::stats
