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

namespace ablate {

// What every combination generates.
struct Workload {
  std::string preset = "tiny";
  std::string device = "cpu";
  std::string dtype;          // default: fp32 on cpu, bf16 on cuda
  std::string size;           // max-area "H*W"; default: the preset's
  int64_t height = 0, width = 0;
  int64_t frames = 81;
  int64_t seed = 42;
  int64_t weight_seed = 0;
  std::string prompt_mode = "repeat";  // repeat: one prompt (what text_cache hits) | unique: one per generate()
  std::string prompt;                  // default: the core's built-in prompt
  bool offload_text_encoder = false;
  double collective_timeout_s = 300;
  nlohmann::json to_json() const;
};

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
  nlohmann::json to_json() const;
};

// Parses and checks a spec; `file` names the source in messages. UsageError on anything wrong.
MatrixSpec parse_matrix_spec(const nlohmann::json& j, const std::string& file);
// Reads `path` (UsageError when missing or not JSON, naming the line).
MatrixSpec load_matrix_spec(const std::string& path);
// "name=value" -> pair, checked against the registry (UsageError naming `where` and the valid values).
std::pair<std::string, std::string> parse_assignment(const std::string& text, const std::string& where);

}  // namespace ablate
