// The speed/quality Pareto front of measured stacks: points with a generate() time (median and its
// CI) and quality measures (PSNR dB higher is better, relative L2 error lower is better), and the
// non-dominated set under a dominance rule that respects the time's uncertainty and a tolerance
// per quality measure.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "experiments/stats/statistics.h"

namespace ablate::stats {

enum class QualityDirection { kHigherBetter, kLowerBetter };
const char* quality_direction_name(QualityDirection d);  // "higher is better" | "lower is better"

struct QualityMeasure {
  std::string name;  // e.g. "psnr_db", "rel_l2"
  QualityDirection direction = QualityDirection::kHigherBetter;
  // Differences up to this are ties: a point within it is "not worse"; beyond it, "clearly better".
  double tolerance = 0.0;
};

struct ParetoPoint {
  std::string name;
  double time_ms = 0.0;          // median generate() time
  Interval time_ci;              // CI of that median; {time_ms, time_ms} when exact
  std::vector<double> quality;   // one per ParetoOptions::measures, same order; +-inf allowed
                                 // (PSNR of bit-identical output is +inf), NaN not
};

struct ParetoOptions {
  std::vector<QualityMeasure> measures;
  // A time gain must also exceed this (Thresholds::practical_ms at the baseline, or the A/A noise
  // floor), besides the CIs being apart.
  double min_time_gap_ms = 0.0;
};

/// a dominates b when all three hold:
///   1. a is not slower: a.time_ms <= b.time_ms (a point slower in median, even within the noise,
///      never dominates: uncertain cases keep both points on the front);
///   2. a's quality is not worse than b's on any measure by more than that measure's tolerance
///      (by nothing at all when the medians are equal);
///   3. a is clearly better somewhere: clearly faster (a.time_ci.hi < b.time_ci.lo and
///      b.time_ms - a.time_ms > min_time_gap_ms), or clearly better on a measure (beyond its
///      tolerance).
/// The relation has no cycles (rule 1 makes every point of a cycle equally fast, and among equally
/// fast points rules 2-3 are plain Pareto dominance on the quality values), so the front is never
/// empty. `reason` says which facts decided, in one line.
struct Dominance {
  bool dominates = false;
  std::string reason;
};
Dominance dominates(const ParetoPoint& a, const ParetoPoint& b, const ParetoOptions& options);

struct DominatedPoint {
  size_t index = 0;  // into the input points
  size_t by = 0;     // a point that dominates it: on the front when one does, else the fastest
  std::string reason;
};

struct ParetoResult {
  std::vector<size_t> front;              // non-dominated points, fastest median first (ties: input order)
  std::vector<DominatedPoint> dominated;  // the rest, in the same order
};

/// The non-dominated set. Throws std::invalid_argument on duplicate names, a quality vector whose
/// size differs from the measures', a NaN, a negative tolerance or gap, or a time_ci that does not
/// contain time_ms.
ParetoResult pareto_front(const std::vector<ParetoPoint>& points, const ParetoOptions& options);

/// A point from repetition samples: the median and its bootstrap CI (bootstrap_median_ci).
ParetoPoint pareto_point(std::string name, const std::vector<double>& samples_ms, std::vector<double> quality,
                         const BootstrapOptions& bootstrap = {});

}  // namespace ablate::stats
