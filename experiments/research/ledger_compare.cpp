#include "experiments/research/ledger_compare.h"

#include <map>
#include <sstream>

#include "core/error.h"
#include "experiments/common/number_text.h"

namespace ablate {
namespace {

std::map<std::string, const LedgerRecord*> ok_by_id(const std::vector<LedgerRecord>& records) {
  std::map<std::string, const LedgerRecord*> m;
  for (const auto& r : records)
    if (r.ok() && !r.samples_ms.empty()) m[r.combination] = &r;
  return m;
}

}  // namespace

nlohmann::json compare_ledgers(const std::vector<LedgerRecord>& a, const std::vector<LedgerRecord>& b,
                               const stats::Thresholds& t) {
  const auto ma = ok_by_id(a), mb = ok_by_id(b);
  nlohmann::json out{{"rows", nlohmann::json::array()}, {"only_in_a", nlohmann::json::array()},
                     {"only_in_b", nlohmann::json::array()}, {"thresholds", {{"alpha", t.alpha}, {"rel", t.rel},
                                                                              {"abs_ms", t.abs_ms},
                                                                              {"noise_floor_ms", t.noise_floor_ms}}}};
  for (const auto& [id, ra] : ma) {
    auto it = mb.find(id);
    if (it == mb.end()) {
      out["only_in_a"].push_back(id);
      continue;
    }
    const auto& rb = *it->second;
    const auto c = stats::compare(ra->samples_ms, rb.samples_ms, t);
    out["rows"].push_back({{"combination", id},
                           {"a_median", c.baseline_median_ms},
                           {"b_median", c.candidate_median_ms},
                           {"diff_ms", c.diff_ms},
                           {"rel", c.rel},
                           {"ratio", c.ratio},
                           {"p_value", c.p_value},
                           {"ci_low", c.diff_ci.lo},
                           {"ci_high", c.diff_ci.hi},
                           {"verdict", stats::verdict_name(c.verdict)},
                           {"reason", c.reason},
                           {"a_validity", ra->validity},
                           {"b_validity", rb.validity},
                           {"md5_same", ra->md5 == rb.md5}});
  }
  for (const auto& [id, _] : mb)
    if (!ma.count(id)) out["only_in_b"].push_back(id);
  return out;
}

std::string compare_markdown(const nlohmann::json& c, const std::string& a_name, const std::string& b_name) {
  std::ostringstream os;
  os << "A = `" << a_name << "`, B = `" << b_name << "`; thresholds: alpha " << c["thresholds"]["alpha"] << ", "
     << fixed_text(100 * c["thresholds"]["rel"].get<double>()) << "%, " << c["thresholds"]["abs_ms"] << " ms, noise floor "
     << fixed_text(c["thresholds"]["noise_floor_ms"].get<double>()) << " ms.\n\n"
     << "| combination | A median ms | B median ms | B - A ms (95% CI) | B/A | p | verdict | validity A/B | same MD5 |\n"
     << "|---|---:|---:|---|---:|---:|---|---|---|\n";
  for (const auto& r : c["rows"])
    os << "| " << r["combination"].get<std::string>() << " | " << fixed_text(r["a_median"]) << " | " << fixed_text(r["b_median"])
       << " | " << fixed_text(r["diff_ms"]) << " (" << fixed_text(r["ci_low"]) << ", " << fixed_text(r["ci_high"]) << ") | "
       << fixed_text(r["b_median"].get<double>() / r["a_median"].get<double>(), 3) << " | " << fixed_text(r["p_value"], 4) << " | "
       << r["verdict"].get<std::string>() << " | " << r["a_validity"].get<std::string>() << "/"
       << r["b_validity"].get<std::string>() << " | " << (r["md5_same"].get<bool>() ? "yes" : "**no**") << " |\n";
  for (const char* side : {"only_in_a", "only_in_b"})
    if (!c[side].empty()) os << "\n" << (side[8] == 'a' ? "Only in A: " : "Only in B: ") << c[side].dump() << "\n";
  return os.str();
}

double aa_noise_floor(const std::vector<LedgerRecord>& records, uint64_t seed) {
  const LedgerRecord *first = nullptr, *second = nullptr;
  for (const auto& r : records) {
    if (!r.ok()) continue;
    const std::string& id = r.combination;
    if (id.size() > 2 && id.substr(id.size() - 2) == "#2") second = &r;
    else if (!first) first = &r;
  }
  ABLATE_USAGE_CHECK(first && second, "expected an A/A ledger (mode aa: one configuration measured twice)");
  stats::BootstrapOptions bo;
  bo.seed = seed;
  return stats::noise_floor(first->samples_ms, second->samples_ms, bo);
}

}  // namespace ablate
