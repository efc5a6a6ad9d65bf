// An ablation matrix: the workload, which strategy combinations to run (mode + axes), and the
// protocol counts. Read from JSON (experiments/matrices/*.json) or built from CLI flags; every
// field is checked before any work starts (UsageError naming the file, the field and what is valid).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "experiments/runner/workload.h"

namespace ablate {

enum class MatrixMode {
  kFull,        // the cross product of the axes
  kList,        // the explicit combinations
  kStack,       // cumulative: baseline, +stack[0], +stack[0..1], ... (the PR table)
  kOneAtATime,  // baseline, each stack entry alone, the full stack, the full stack minus each
  kCovering,    // baseline, a pairwise covering array of the axes, and every axis at its last value
  kFactorial,   // two-level axes: the full 2^k design up to k = 5, else a resolution-IV fraction
  kAA,          // the same configuration (the stack, default baseline) twice: the noise floor
};
const char* matrix_mode_name(MatrixMode m);
// "full" | "list" | ... -> the mode; UsageError naming `where` and the valid modes.
MatrixMode parse_matrix_mode(const std::string& name, const std::string& where);

struct MatrixSpec {
  std::string name = "matrix";
  std::string source = "flags";  // the file it came from, for messages
  Workload workload;
  MatrixMode mode = MatrixMode::kFull;
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;  // kFull / kCovering / kFactorial: strategy -> values
  std::vector<std::map<std::string, std::string>> combinations;        // kList
  std::vector<std::pair<std::string, std::string>> stack;              // kStack / kOneAtATime / kAA, in order
  int64_t warmup = 1;       // untimed generate() per combination before its repetitions (the first is cold)
  int64_t repetitions = 5;  // timed generate() per combination
  uint64_t order_seed = 0;  // seeds the interleaved order
  nlohmann::json adaptive;  // adaptive repetitions (runner/adaptive.h; null = the fixed protocol)
  nlohmann::json to_json() const;
};

// Parses and checks a spec; `file` names the source in messages. UsageError on anything wrong.
MatrixSpec parse_matrix_spec(const nlohmann::json& j, const std::string& file);
// Reads `path` (UsageError when missing or not JSON, naming the line).
MatrixSpec load_matrix_spec(const std::string& path);

}  // namespace ablate
