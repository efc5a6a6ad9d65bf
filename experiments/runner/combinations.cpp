#include "experiments/runner/combinations.h"

#include <algorithm>
#include <set>

#include "experiments/runner/engine.h"
#include "experiments/stats/factorial.h"
#include "optimizations/registry.h"

namespace ablate {

std::string combination_id(const std::map<std::string, std::string>& values) {
  std::string id;
  for (const auto& name : opt::strategy_names()) {
    auto it = values.find(name);
    if (it == values.end() || it->second == opt::strategy_info(name).values.front()) continue;
    id += (id.empty() ? "" : "+") + name + "=" + it->second;
  }
  return id.empty() ? "baseline" : id;
}

Combination make_combination(std::map<std::string, std::string> values, const opt::RunConfig& where,
                             const std::string& stage) {
  Combination c;
  for (auto it = values.begin(); it != values.end();)  // baseline values are implicit
    it = it->second == opt::strategy_info(it->first).values.front() ? values.erase(it) : std::next(it);
  c.values = values;
  c.id = combination_id(values);
  c.stage = stage.empty() ? c.id : stage;
  opt::RunConfig config = where;
  config.values = values;
  for (const auto& name : opt::strategy_names()) {
    auto it = values.find(name);
    if (it == values.end()) continue;
    const auto info = opt::strategy_info(name);
    if (info.tier == opt::Tier::kB) c.tier = opt::Tier::kB;
    if (c.skip_reason.empty()) c.skip_reason = opt::make_strategy(name)->validate(it->second, config);
    if (info.affects_build) c.build_key += (c.build_key.empty() ? "" : "+") + name + "=" + it->second;
  }
  if (c.build_key.empty()) c.build_key = "default";
  c.per_request_engine = rebuilds_engine_per_request(values);
  return c;
}

namespace {

// Why a combination that batches requests cannot run on `w` ("" when it can): its gate compares
// request 0 of each generate() with the baseline's request of that round.
std::string batch_skip_reason(const Workload& w, const std::map<std::string, std::string>& values) {
  if (requests_per_generate(w, values) == w.batch) return "";
  if (w.batch != 1)
    return "batched_requests: the workload already batches " + std::to_string(w.batch) + " requests per generate()";
  if (w.requests_per_cycle() > 1)
    return "batched_requests needs repeat requests: its gate compares request 0 of each batch with the "
           "baseline's request of the same round, and this workload cycles through " +
           std::to_string(w.requests_per_cycle()) + " unique requests";
  return "";
}

}  // namespace

std::vector<Combination> expand_combinations(const MatrixSpec& spec, const opt::RunConfig& where) {
  std::vector<std::pair<std::map<std::string, std::string>, std::string>> rows;  // values, stage label
  switch (spec.mode) {
    case MatrixMode::kFull: {
      rows.push_back({{}, ""});
      for (const auto& [name, values] : spec.axes) {
        std::vector<std::pair<std::map<std::string, std::string>, std::string>> next;
        for (const auto& row : rows)
          for (const auto& v : values) {
            auto r = row.first;
            r[name] = v;
            next.push_back({r, ""});
          }
        rows = next;
      }
      break;
    }
    case MatrixMode::kCovering: {
      rows.push_back({{}, "baseline"});
      for (const auto& row : pairwise_covering_array(spec.axes)) rows.push_back({row, ""});
      std::map<std::string, std::string> last;
      for (const auto& [name, values] : spec.axes) last[name] = values.back();
      rows.push_back({last, "full stack"});
      break;
    }
    case MatrixMode::kFactorial: {
      const auto design = stats::fractional_factorial(static_cast<int>(spec.axes.size()));
      for (const auto& levels : design.runs) {
        std::map<std::string, std::string> row;
        for (size_t f = 0; f < levels.size(); ++f) row[spec.axes[f].first] = spec.axes[f].second[levels[f] ? 1 : 0];
        rows.push_back({row, ""});
      }
      break;
    }
    case MatrixMode::kAA: {
      std::map<std::string, std::string> values(spec.stack.begin(), spec.stack.end());
      rows.push_back({values, "A/A first"});
      rows.push_back({values, "A/A second"});
      break;
    }
    case MatrixMode::kList:
      for (const auto& c : spec.combinations) rows.push_back({c, ""});
      break;
    case MatrixMode::kStack: {
      std::map<std::string, std::string> acc;
      rows.push_back({acc, "unoptimized"});
      for (const auto& [name, value] : spec.stack) {
        acc[name] = value;
        rows.push_back({acc, "+" + name + "=" + value});
      }
      break;
    }
    case MatrixMode::kOneAtATime: {
      std::map<std::string, std::string> all(spec.stack.begin(), spec.stack.end());
      rows.push_back({{}, "baseline"});
      for (const auto& [name, value] : spec.stack) rows.push_back({{{name, value}}, "only " + name + "=" + value});
      rows.push_back({all, "full stack"});
      for (const auto& [name, value] : spec.stack) {
        auto without = all;
        without.erase(name);
        rows.push_back({without, "full stack - " + name});
      }
      break;
    }
  }
  std::vector<Combination> out;
  std::set<std::string> seen;
  for (const auto& [values, stage] : rows) {
    auto c = make_combination(values, where, stage);
    if (stage == "A/A second") c.id += "#2";  // the same configuration measured again
    if (c.skip_reason.empty()) c.skip_reason = batch_skip_reason(spec.workload, c.values);
    if (seen.insert(c.id).second) out.push_back(c);
  }
  return out;
}

int64_t requests_per_generate(const Workload& w, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    const int64_t b = opt::make_strategy(name)->requests_per_generate(value);
    if (b > 0) return b;
  }
  return w.batch;
}

Workload with_requests_per_generate(Workload w, const std::map<std::string, std::string>& values) {
  w.batch = requests_per_generate(w, values);
  return w;
}

std::vector<std::map<std::string, std::string>> pairwise_covering_array(
    const std::vector<std::pair<std::string, std::vector<std::string>>>& factors) {
  // uncovered pairs: (factor i, value a, factor j, value b), i < j
  std::set<std::tuple<size_t, size_t, size_t, size_t>> uncovered;
  for (size_t i = 0; i < factors.size(); ++i)
    for (size_t j = i + 1; j < factors.size(); ++j)
      for (size_t a = 0; a < factors[i].second.size(); ++a)
        for (size_t b = 0; b < factors[j].second.size(); ++b) uncovered.insert({i, a, j, b});
  std::vector<std::map<std::string, std::string>> rows;
  if (factors.empty()) return rows;
  while (!uncovered.empty() || rows.empty()) {
    // seed the row with the first uncovered pair, then pick each other factor's value greedily
    std::vector<int> pick(factors.size(), -1);
    if (!uncovered.empty()) {
      const auto [i, a, j, b] = *uncovered.begin();
      pick[i] = static_cast<int>(a);
      pick[j] = static_cast<int>(b);
    }
    for (size_t f = 0; f < factors.size(); ++f) {
      if (pick[f] >= 0) continue;
      int best = 0, best_gain = -1;
      for (size_t v = 0; v < factors[f].second.size(); ++v) {
        int gain = 0;
        for (size_t g = 0; g < factors.size(); ++g) {
          if (pick[g] < 0 || g == f) continue;
          const auto key = g < f ? std::make_tuple(g, static_cast<size_t>(pick[g]), f, v)
                                 : std::make_tuple(f, v, g, static_cast<size_t>(pick[g]));
          gain += static_cast<int>(uncovered.count(key));
        }
        if (gain > best_gain) best_gain = gain, best = static_cast<int>(v);
      }
      pick[f] = best;
    }
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < factors.size(); ++i) {
      row[factors[i].first] = factors[i].second[pick[i]];
      for (size_t j = i + 1; j < factors.size(); ++j)
        uncovered.erase({i, static_cast<size_t>(pick[i]), j, static_cast<size_t>(pick[j])});
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace ablate
