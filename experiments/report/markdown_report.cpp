#include "experiments/report/markdown_report.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "experiments/common/number_text.h"
#include "experiments/stats/verdict.h"

namespace ablate {
namespace {

std::string pct(double ratio_minus_one) {
  std::ostringstream os;
  os << std::showpos << std::fixed << std::setprecision(1) << 100.0 * ratio_minus_one << "%";
  return os.str();
}

bool ok(const nlohmann::json& r) { return r.value("status", "") == "ok" && r.contains("stats"); }
double median_of(const nlohmann::json& r) { return r["stats"]["median"].get<double>(); }

std::string md5_cell(const nlohmann::json& r) {
  if (!r.contains("md5_ok") || r["md5_ok"].is_null()) return "n/a";
  if (r["md5_ok"].get<bool>()) return "yes";
  std::string s = "**no**";
  if (r.contains("first_divergence") && r["first_divergence"].is_object())
    s += " (chunk " + std::to_string(r["first_divergence"]["chunk"].get<int64_t>()) + ", step " +
         std::to_string(r["first_divergence"]["step"].get<int64_t>()) + ")";
  if (r.contains("psnr_db") && r["psnr_db"].is_number()) s += ", " + fixed_text(r["psnr_db"].get<double>()) + " dB";
  if (r.contains("bound")) s += r["bound"]["within"].get<bool>() ? ", within bound" : ", **outside bound**";
  return s;
}

}  // namespace

std::string markdown_cell(const std::string& text) {
  // an error's first line is its message; CUDA and c10 errors go on with hints and a backtrace
  const std::string line = text.substr(0, text.find('\n'));
  std::string out;
  for (char c : line) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string pr_stack_table(const std::vector<nlohmann::json>& records) {
  std::ostringstream os;
  os << "| stage | generate() ms (median) | vs unoptimized | vs prior | MD5 ok |\n|---|---:|---:|---:|---|\n";
  // a cumulative stack adds one strategy per stage; the ledger holds them in execution order
  // (engine groups, resumed runs), so the stages are put back in stack order
  std::vector<const nlohmann::json*> stages;
  for (const auto& r : records) stages.push_back(&r);
  auto depth = [](const nlohmann::json* r) { return r->contains("strategies") ? (*r)["strategies"].size() : size_t{0}; };
  std::stable_sort(stages.begin(), stages.end(), [&](auto* a, auto* b) { return depth(a) < depth(b); });
  const nlohmann::json* first = nullptr;
  const nlohmann::json* prior = nullptr;
  for (const auto* rp : stages) {
    const auto& r = *rp;
    const std::string stage = markdown_cell(r.value("stage", r.value("combination", "")));
    if (!ok(r)) {
      os << "| " << stage << " | " << r.value("status", "?") << ": " << markdown_cell(r.value("reason", "")) << " | | | |\n";
      continue;
    }
    const double m = median_of(r);
    if (!first) first = &r;
    os << "| " << stage << " | " << fixed_text(m) << " | " << (first == &r ? "-" : fixed_text(median_of(*first) / m, 2) + "x")
       << " | " << (prior ? fixed_text(median_of(*prior) / m, 2) + "x" : "-") << " | " << md5_cell(r) << " |\n";
    prior = &r;
  }
  return os.str();
}

std::string matrix_table(const std::vector<nlohmann::json>& records) {
  const nlohmann::json* base = nullptr;
  for (const auto& r : records)
    if (ok(r) && r.value("combination", "") == "baseline") base = &r;
  std::ostringstream os;
  os << "| combination | median ms | spread (min-max) | CV | delta vs baseline | verdict | tier | MD5 ok | syncs (DiT/all)"
        " | NCCL ms | peak memory (MiB, max rank) | validity |\n"
        "|---|---:|---|---:|---:|---|---|---|---|---:|---:|---|\n";
  for (const auto& r : records) {
    const std::string id = markdown_cell(r.value("combination", ""));
    if (!ok(r)) {
      os << "| " << id << " | " << r.value("status", "?") << " | " << markdown_cell(r.value("reason", ""))
         << " | | | | " << r.value("tier", "") << " | | | | | |\n";
      continue;
    }
    const auto& s = r["stats"];
    std::string delta = "-", verdict = "-";
    if (base && base != &r) {
      const auto a = (*base)["samples_ms"].get<std::vector<double>>();
      const auto b = r["samples_ms"].get<std::vector<double>>();
      delta = pct(median_of(r) / median_of(*base) - 1.0);
      const auto c = stats::compare(a, b);
      verdict = stats::verdict_name(c.verdict);
    }
    int64_t peak = 0;
    for (const auto& p : r.value("peak_memory_bytes", std::vector<int64_t>{})) peak = std::max(peak, p);
    const auto& sy = r["syncs"];
    std::string validity = r.value("validity", "");
    for (const auto& why : r.value("invalid_reasons", std::vector<std::string>{})) validity += "; " + why;
    os << "| " << id << " | " << fixed_text(s["median"].get<double>()) << " | " << fixed_text(s["min"].get<double>()) << "-"
       << fixed_text(s["max"].get<double>()) << " | " << fixed_text(100 * s["cv"].get<double>(), 1) << "% | " << delta << " | "
       << verdict << " | " << r.value("tier", "") << " | " << md5_cell(r) << " | " << sy.value("dit", int64_t{0})
       << "/" << sy.value("total", int64_t{0}) << " | " << fixed_text(r.value("nccl_ms", 0.0)) << " | "
       << fixed_text(static_cast<double>(peak) / (1 << 20), 0) << " | " << markdown_cell(validity) << " |\n";
  }
  return os.str();
}

std::string markdown_report(const std::vector<nlohmann::json>& records, const std::string& title) {
  std::ostringstream os;
  os << "# " << title << "\n\n";
  if (!records.empty()) {
    const auto& r = records.front();
    os << "Workload: `" << r.value("workload", nlohmann::json::object()).dump() << "`  \n"
       << "Fingerprint: `" << r.value("fingerprint_key", "") << "`, " << r.value("warmup", int64_t{0}) << " warm-up + "
       << r.value("repetitions", int64_t{0}) << " timed generate() per combination, mode "
       << r.value("mode", "") << ".\n\n";
    if (r.value("mode", "") == "stack") os << "## PR stack\n\n" << pr_stack_table(records) << "\n";
  }
  os << "## Matrix\n\nVerdicts: Mann-Whitney U against the baseline's samples with the default thresholds "
        "(alpha 0.05, 1% and 5 ms).\n\n"
     << matrix_table(records);
  int cold = 0;
  for (const auto& r : records) cold += ok(r) && r.contains("cold_ms") && r["cold_ms"].is_number();
  if (cold) {
    os << "\n## Cold (first generate() after a build)\n\n| combination | cold ms | warm median ms |\n|---|---:|---:|\n";
    for (const auto& r : records)
      if (ok(r) && r["cold_ms"].is_number())
        os << "| " << markdown_cell(r["combination"].get<std::string>()) << " | " << fixed_text(r["cold_ms"].get<double>()) << " | "
           << fixed_text(median_of(r)) << " |\n";
  }
  return os.str();
}

}  // namespace ablate
