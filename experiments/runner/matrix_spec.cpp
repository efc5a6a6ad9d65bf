#include "experiments/runner/matrix_spec.h"

#include <fstream>
#include <set>

#include "core/error.h"
#include "experiments/common/json_fields.h"
#include "experiments/runner/adaptive.h"
#include "experiments/runner/assignment.h"

namespace ablate {

const char* matrix_mode_name(MatrixMode m) {
  switch (m) {
    case MatrixMode::kFull: return "full";
    case MatrixMode::kList: return "list";
    case MatrixMode::kStack: return "stack";
    case MatrixMode::kOneAtATime: return "one_at_a_time";
    case MatrixMode::kCovering: return "covering";
    case MatrixMode::kFactorial: return "factorial";
    case MatrixMode::kAA: return "aa";
  }
  return "invalid";
}

MatrixMode parse_matrix_mode(const std::string& name, const std::string& where) {
  for (auto m : {MatrixMode::kFull, MatrixMode::kList, MatrixMode::kStack, MatrixMode::kOneAtATime,
                 MatrixMode::kCovering, MatrixMode::kFactorial, MatrixMode::kAA})
    if (name == matrix_mode_name(m)) return m;
  throw UsageError(where + ": unknown mode '" + name +
                   "'; valid modes: full, list, stack, one_at_a_time, covering, factorial, aa");
}

nlohmann::json MatrixSpec::to_json() const {
  nlohmann::json j{{"name", name}, {"workload", workload.to_json()}, {"mode", matrix_mode_name(mode)},
                   {"warmup", warmup}, {"repetitions", repetitions}, {"order_seed", order_seed}};
  if (!adaptive.is_null()) j["adaptive"] = adaptive;
  if (mode == MatrixMode::kFull || mode == MatrixMode::kCovering || mode == MatrixMode::kFactorial) {
    j["axes"] = nlohmann::json::object();
    for (const auto& [n, v] : axes) j["axes"][n] = v;
  } else if (mode == MatrixMode::kList) {
    j["combinations"] = combinations;
  } else {
    for (const auto& [n, v] : stack) j["stack"].push_back(n + "=" + v);
  }
  return j;
}

namespace {

bool takes_axes(MatrixMode m) { return m == MatrixMode::kFull || m == MatrixMode::kCovering || m == MatrixMode::kFactorial; }
bool takes_stack(MatrixMode m) { return m == MatrixMode::kStack || m == MatrixMode::kOneAtATime || m == MatrixMode::kAA; }

void parse_axes(const JsonFields& f, MatrixSpec& s) {
  const auto axes = f.object("axes");
  ABLATE_USAGE_CHECK(!axes.json().empty(), axes.where(), ": no strategy to vary (an empty matrix); expected at least one ",
                     "{strategy: [values]}");
  for (const auto& [name, values] : axes.json().items()) {
    const std::string where = axes.path(name);
    ABLATE_USAGE_CHECK(values.is_array() && !values.empty(), where, ": expected a non-empty list of values, found ",
                       json_excerpt(values));
    std::vector<std::string> texts;
    for (const auto& v : values) {
      ABLATE_USAGE_CHECK(v.is_string(), where, ": expected string values, found ", json_excerpt(v));
      texts.push_back(v.get<std::string>());
    }
    auto [n, vs] = parse_axis(name + "=" + c10::Join(",", texts), where);
    ABLATE_USAGE_CHECK(s.mode != MatrixMode::kFactorial || vs.size() == 2, where,
                       ": mode factorial needs exactly two levels per axis, found ", vs.size());
    s.axes.emplace_back(n, vs);
  }
}

void parse_combinations(const JsonFields& f, MatrixSpec& s) {
  const auto& list = f.json().at("combinations");
  ABLATE_USAGE_CHECK(list.is_array() && !list.empty(), f.path("combinations"),
                     ": mode list needs a non-empty list of {strategy: value} objects, found ", json_excerpt(list));
  for (size_t i = 0; i < list.size(); ++i) {
    const JsonFields c(list[i], f.path("combinations") + "[" + std::to_string(i) + "]");
    std::vector<std::string> texts;
    for (const auto& [name, _] : c.json().items()) texts.push_back(name + "=" + c.string(name));
    s.combinations.push_back(parse_assignments(texts, c.where()));
  }
}

void parse_stack(const JsonFields& f, MatrixSpec& s) {
  const auto texts = f.strings("stack");
  ABLATE_USAGE_CHECK(s.mode == MatrixMode::kAA || !texts.empty(), f.path("stack"), ": mode ", matrix_mode_name(s.mode),
                     " needs a non-empty list of \"name=value\" strings");
  std::set<std::string> seen;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string where = f.path("stack") + "[" + std::to_string(i) + "]";
    auto p = parse_assignment(texts[i], where);
    ABLATE_USAGE_CHECK(seen.insert(p.first).second, where, ": strategy ", p.first, " appears twice in the stack");
    s.stack.push_back(p);
  }
}

}  // namespace

MatrixSpec parse_matrix_spec(const nlohmann::json& j, const std::string& file) {
  const JsonFields f(j, file);
  f.allow_only({"name", "workload", "mode", "axes", "combinations", "stack", "warmup", "repetitions", "order_seed",
                "adaptive", "comment"});
  MatrixSpec s;
  s.source = file;
  s.name = f.string_or("name", s.name);
  if (f.has("workload")) s.workload = parse_workload(f.object("workload"));
  const std::string mode = f.string_or("mode", "full");
  s.mode = parse_matrix_mode(mode, f.path("mode"));
  s.warmup = f.integer_or("warmup", s.warmup);
  f.check(s.warmup >= 0 && s.warmup <= 1000, "warmup", "0..1000", s.warmup);
  s.repetitions = f.integer_or("repetitions", s.repetitions);
  f.check(s.repetitions >= 1 && s.repetitions <= 10000, "repetitions", "1..10000", s.repetitions);
  const int64_t order_seed = f.integer_or("order_seed", 0);
  f.check(order_seed >= 0, "order_seed", "a non-negative integer", order_seed);
  s.order_seed = static_cast<uint64_t>(order_seed);
  if (f.has("adaptive")) {
    s.adaptive = j.at("adaptive");
    parse_adaptive(s.adaptive, s.repetitions, f.path("adaptive"));  // checked before any work
  }

  ABLATE_USAGE_CHECK(!f.has("axes") || takes_axes(s.mode), f.path("axes"),
                     ": only modes full, covering and factorial take axes (mode is ", mode, ")");
  ABLATE_USAGE_CHECK(!f.has("combinations") || s.mode == MatrixMode::kList, f.path("combinations"),
                     ": only mode list takes combinations (mode is ", mode, ")");
  ABLATE_USAGE_CHECK(!f.has("stack") || takes_stack(s.mode), f.path("stack"),
                     ": only modes stack, one_at_a_time and aa take a stack (mode is ", mode, ")");
  if (takes_axes(s.mode)) {
    ABLATE_USAGE_CHECK(f.has("axes"), f.path("axes"), ": mode ", mode, " needs an object {strategy: [values]}");
    parse_axes(f, s);
  } else if (s.mode == MatrixMode::kList) {
    ABLATE_USAGE_CHECK(f.has("combinations"), f.path("combinations"),
                       ": mode list needs a list of {strategy: value} objects");
    parse_combinations(f, s);
  } else if (f.has("stack") || s.mode != MatrixMode::kAA) {
    ABLATE_USAGE_CHECK(f.has("stack"), f.path("stack"), ": mode ", mode, " needs a list of \"name=value\" strings");
    parse_stack(f, s);
  }
  return s;
}

MatrixSpec load_matrix_spec(const std::string& path) {
  std::ifstream f(path);
  ABLATE_USAGE_CHECK(f.good(), path, ": cannot read the matrix file (does it exist?)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number that overflows
    throw UsageError(path + ": not valid JSON: " + e.what());
  }
  return guard_json_file(path, [&] { return parse_matrix_spec(j, path); });
}

}  // namespace ablate
