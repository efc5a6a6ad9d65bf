#include "experiments/runner/matrix_spec.h"

#include <fstream>
#include <set>

#include "core/config.h"
#include "core/error.h"
#include "optimizations/registry.h"

namespace ablate {
namespace {

// Rejects fields outside `valid` (typos must not be ignored silently).
void check_fields(const nlohmann::json& j, const std::string& where, const std::vector<std::string>& valid) {
  ABLATE_USAGE_CHECK(j.is_object(), where, ": expected a JSON object, found ", j.type_name());
  const std::set<std::string> ok(valid.begin(), valid.end());
  for (const auto& [key, _] : j.items())
    ABLATE_USAGE_CHECK(ok.count(key), where, ": unknown field '", key, "'; valid fields: ", c10::Join(", ", valid));
}

template <typename T>
void read(const nlohmann::json& j, const char* key, T& out, const std::string& where, const char* expected) {
  if (!j.contains(key)) return;
  try {
    out = j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw UsageError(where + "." + key + ": expected " + expected + ", found " + j.at(key).dump());
  }
}

void check_value(const std::string& name, const std::string& value, const std::string& where) {
  opt::StrategyInfo info;
  try {
    info = opt::strategy_info(name);
  } catch (const UsageError&) {
    throw UsageError(where + ": unknown strategy '" + name + "'; valid strategies: " + c10::Join(", ", opt::strategy_names()));
  }
  for (const auto& v : info.values)
    if (v == value) return;
  throw UsageError(where + ": strategy " + name + " has no value '" + value + "'; valid values: " + c10::Join(", ", info.values));
}

Workload parse_workload(const nlohmann::json& j, const std::string& where) {
  check_fields(j, where, {"preset", "device", "dtype", "size", "height", "width", "frames", "seed", "weight_seed",
                          "prompt_mode", "prompt", "offload_text_encoder", "collective_timeout_s"});
  Workload w;
  read(j, "preset", w.preset, where, "a preset name");
  try {
    preset(w.preset);
  } catch (const std::exception& e) {
    throw UsageError(where + ".preset: " + e.what());
  }
  read(j, "device", w.device, where, "cpu, cuda or cuda:N");
  ABLATE_USAGE_CHECK(w.device == "cpu" || w.device == "cuda" || w.device.rfind("cuda:", 0) == 0, where,
                     ".device: unknown device '", w.device, "'; valid devices: cpu, cuda, cuda:N");
  read(j, "dtype", w.dtype, where, "fp32 or bf16");
  ABLATE_USAGE_CHECK(w.dtype.empty() || w.dtype == "fp32" || w.dtype == "bf16", where, ".dtype: unknown dtype '",
                     w.dtype, "'; valid dtypes: fp32, bf16");
  read(j, "size", w.size, where, "\"H*W\"");
  read(j, "height", w.height, where, "an integer");
  read(j, "width", w.width, where, "an integer");
  read(j, "frames", w.frames, where, "an integer 4n+1");
  ABLATE_USAGE_CHECK(w.frames >= 1 && (w.frames - 1) % 4 == 0, where, ".frames: expected 4n+1 frames, found ",
                     w.frames);
  read(j, "seed", w.seed, where, "an integer");
  ABLATE_USAGE_CHECK(w.seed >= 0, where, ".seed: expected >= 0, found ", w.seed);
  read(j, "weight_seed", w.weight_seed, where, "an integer");
  read(j, "prompt_mode", w.prompt_mode, where, "\"repeat\" or \"unique\"");
  ABLATE_USAGE_CHECK(w.prompt_mode == "repeat" || w.prompt_mode == "unique", where, ".prompt_mode: unknown mode '",
                     w.prompt_mode, "'; valid modes: repeat, unique");
  read(j, "prompt", w.prompt, where, "a string");
  read(j, "offload_text_encoder", w.offload_text_encoder, where, "true or false");
  read(j, "collective_timeout_s", w.collective_timeout_s, where, "seconds");
  ABLATE_USAGE_CHECK(w.collective_timeout_s > 0, where, ".collective_timeout_s: expected > 0, found ",
                     w.collective_timeout_s);
  ABLATE_USAGE_CHECK(w.size.empty() || (w.height == 0 && w.width == 0), where,
                     ": size and height/width are exclusive; give one of them");
  return w;
}

}  // namespace

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

std::pair<std::string, std::string> parse_assignment(const std::string& text, const std::string& where) {
  const auto eq = text.find('=');
  ABLATE_USAGE_CHECK(eq != std::string::npos && eq > 0, where, ": expected name=value (e.g. sync_elim=on), found '",
                     text, "'");
  std::pair<std::string, std::string> p{text.substr(0, eq), text.substr(eq + 1)};
  check_value(p.first, p.second, where);
  return p;
}

nlohmann::json Workload::to_json() const {
  return {{"preset", preset}, {"device", device}, {"dtype", dtype}, {"size", size}, {"height", height},
          {"width", width}, {"frames", frames}, {"seed", seed}, {"weight_seed", weight_seed},
          {"prompt_mode", prompt_mode}, {"prompt", prompt}, {"offload_text_encoder", offload_text_encoder},
          {"collective_timeout_s", collective_timeout_s}};
}

nlohmann::json MatrixSpec::to_json() const {
  nlohmann::json j{{"name", name}, {"workload", workload.to_json()}, {"mode", matrix_mode_name(mode)},
                   {"warmup", warmup}, {"repetitions", repetitions}, {"order_seed", order_seed}};
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

MatrixSpec parse_matrix_spec(const nlohmann::json& j, const std::string& file) {
  check_fields(j, file, {"name", "workload", "mode", "axes", "combinations", "stack", "warmup", "repetitions",
                         "order_seed", "comment"});
  MatrixSpec s;
  s.source = file;
  read(j, "name", s.name, file, "a string");
  if (j.contains("workload")) s.workload = parse_workload(j.at("workload"), file + ": workload");
  std::string mode = "full";
  read(j, "mode", mode, file, "a string");
  if (mode == "full") s.mode = MatrixMode::kFull;
  else if (mode == "list") s.mode = MatrixMode::kList;
  else if (mode == "stack") s.mode = MatrixMode::kStack;
  else if (mode == "one_at_a_time") s.mode = MatrixMode::kOneAtATime;
  else if (mode == "covering") s.mode = MatrixMode::kCovering;
  else if (mode == "factorial") s.mode = MatrixMode::kFactorial;
  else if (mode == "aa") s.mode = MatrixMode::kAA;
  else throw UsageError(file + ".mode: unknown mode '" + mode +
                        "'; valid modes: full, list, stack, one_at_a_time, covering, factorial, aa");
  read(j, "warmup", s.warmup, file, "an integer >= 0");
  ABLATE_USAGE_CHECK(s.warmup >= 0, file, ".warmup: expected >= 0, found ", s.warmup);
  read(j, "repetitions", s.repetitions, file, "an integer >= 1");
  ABLATE_USAGE_CHECK(s.repetitions >= 1, file, ".repetitions: expected >= 1, found ", s.repetitions);
  read(j, "order_seed", s.order_seed, file, "a non-negative integer");

  const bool full = s.mode == MatrixMode::kFull || s.mode == MatrixMode::kCovering || s.mode == MatrixMode::kFactorial;
  const bool list = s.mode == MatrixMode::kList, aa = s.mode == MatrixMode::kAA;
  const bool stacked = !full && !list;
  ABLATE_USAGE_CHECK(!j.contains("axes") || full, file, ".axes: only modes full, covering and factorial take axes (mode is ", mode, ")");
  ABLATE_USAGE_CHECK(!j.contains("combinations") || list, file, ".combinations: only mode list takes combinations (mode is ",
                     mode, ")");
  ABLATE_USAGE_CHECK(!j.contains("stack") || stacked, file, ".stack: only modes stack, one_at_a_time and aa take a stack (mode is ",
                     mode, ")");
  if (full) {
    ABLATE_USAGE_CHECK(j.contains("axes") && j.at("axes").is_object(), file,
                       ".axes: mode ", mode, " needs an object {strategy: [values]}");
    for (const auto& [name, values] : j.at("axes").items()) {
      const std::string where = file + ".axes." + name;
      ABLATE_USAGE_CHECK(values.is_array() && !values.empty(), where, ": expected a non-empty list of values, found ",
                         values.dump());
      std::vector<std::string> vs;
      for (const auto& v : values) {
        ABLATE_USAGE_CHECK(v.is_string(), where, ": expected string values, found ", v.dump());
        check_value(name, v.get<std::string>(), where);
        vs.push_back(v.get<std::string>());
      }
      ABLATE_USAGE_CHECK(s.mode != MatrixMode::kFactorial || vs.size() == 2, where,
                         ": mode factorial needs exactly two levels per axis, found ", vs.size());
      s.axes.emplace_back(name, vs);
    }
  } else if (list) {
    ABLATE_USAGE_CHECK(j.contains("combinations") && j.at("combinations").is_array(), file,
                       ".combinations: mode list needs a list of {strategy: value} objects");
    int index = 0;
    for (const auto& c : j.at("combinations")) {
      const std::string where = file + ".combinations[" + std::to_string(index++) + "]";
      ABLATE_USAGE_CHECK(c.is_object(), where, ": expected an object {strategy: value}, found ", c.dump());
      std::map<std::string, std::string> values;
      for (const auto& [name, v] : c.items()) {
        ABLATE_USAGE_CHECK(v.is_string(), where, ".", name, ": expected a string value, found ", v.dump());
        check_value(name, v.get<std::string>(), where);
        values[name] = v.get<std::string>();
      }
      s.combinations.push_back(values);
    }
  } else if (!(aa && !j.contains("stack"))) {
    ABLATE_USAGE_CHECK(j.contains("stack") && j.at("stack").is_array() && (aa || !j.at("stack").empty()), file, ".stack: mode ",
                       mode, " needs a non-empty list of \"name=value\" strings");
    std::set<std::string> seen;
    int index = 0;
    for (const auto& e : j.at("stack")) {
      const std::string where = file + ".stack[" + std::to_string(index++) + "]";
      ABLATE_USAGE_CHECK(e.is_string(), where, ": expected \"name=value\", found ", e.dump());
      auto p = parse_assignment(e.get<std::string>(), where);
      ABLATE_USAGE_CHECK(seen.insert(p.first).second, where, ": strategy ", p.first, " appears twice in the stack");
      s.stack.push_back(p);
    }
  }
  return s;
}

MatrixSpec load_matrix_spec(const std::string& path) {
  std::ifstream f(path);
  ABLATE_USAGE_CHECK(f.good(), path, ": cannot read the matrix file (does it exist?)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(f);
  } catch (const nlohmann::json::parse_error& e) {
    throw UsageError(path + ": not valid JSON: " + e.what());
  }
  return parse_matrix_spec(j, path);
}

}  // namespace ablate
