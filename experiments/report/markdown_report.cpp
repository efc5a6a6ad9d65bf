#include "experiments/report/markdown_report.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
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

bool ok(const LedgerRecord& r) { return r.ok() && r.stats.has_value(); }
double median_of(const LedgerRecord& r) { return r.stats->median; }

std::string md5_cell(const LedgerRecord& r) {
  const auto& g = r.gate;
  if (!g.md5_ok) return "n/a";
  if (*g.md5_ok) return "yes";
  std::string s = "**no**";
  if (g.failing_request && *g.failing_request > 0) s += " (request " + std::to_string(*g.failing_request) + ")";
  if (g.first_divergence)
    s += " (chunk " + std::to_string(g.first_divergence->first) + ", step " + std::to_string(g.first_divergence->second) + ")";
  if (g.psnr_db && std::isfinite(*g.psnr_db)) s += ", " + fixed_text(*g.psnr_db) + " dB";
  if (g.bound) s += g.bound->within ? ", within bound" : ", **outside bound**";
  return s;
}

std::string stage_or_id(const LedgerRecord& r) { return r.stage.empty() ? r.combination : r.stage; }
std::string status_text(const LedgerRecord& r) { return record_status_name(r.status); }

}  // namespace

std::string markdown_cell(const std::string& text) {
  // an error's first line is its message; CUDA and c10 errors go on with hints and a backtrace
  const std::string line = text.substr(0, text.find('\n'));
  std::string out;
  for (char c : line) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string pr_stack_table(const std::vector<LedgerRecord>& records) {
  std::ostringstream os;
  os << "| stage | generate() ms (median) | vs unoptimized | vs prior | MD5 ok |\n|---|---:|---:|---:|---|\n";
  // a cumulative stack adds one strategy per stage; the ledger holds them in execution order
  // (engine groups, resumed runs), so the stages are put back in stack order
  std::vector<const LedgerRecord*> stages;
  for (const auto& r : records) stages.push_back(&r);
  auto depth = [](const LedgerRecord* r) { return r->strategies.size(); };
  std::stable_sort(stages.begin(), stages.end(), [&](auto* a, auto* b) { return depth(a) < depth(b); });
  const LedgerRecord* first = nullptr;
  const LedgerRecord* prior = nullptr;
  for (const auto* rp : stages) {
    const auto& r = *rp;
    const std::string stage = markdown_cell(stage_or_id(r));
    if (!ok(r)) {
      os << "| " << stage << " | " << status_text(r) << ": " << markdown_cell(r.reason) << " | | | |\n";
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

std::string matrix_table(const std::vector<LedgerRecord>& records) {
  const LedgerRecord* base = nullptr;
  for (const auto& r : records)
    if (ok(r) && r.combination == "baseline") base = &r;
  std::ostringstream os;
  os << "| combination | median ms | spread (min-max) | CV | delta vs baseline | verdict | tier | MD5 ok | syncs (DiT/all)"
        " | NCCL ms | peak memory (MiB, max rank) | validity |\n"
        "|---|---:|---|---:|---:|---|---|---|---|---:|---:|---|\n";
  for (const auto& r : records) {
    const std::string id = markdown_cell(r.combination);
    if (!ok(r)) {
      os << "| " << id << " | " << status_text(r) << " | " << markdown_cell(r.reason) << " | | | | " << r.tier
         << " | | | | | |\n";
      continue;
    }
    const auto& s = *r.stats;
    std::string delta = "-", verdict = "-";
    if (base && base != &r) {
      delta = pct(median_of(r) / median_of(*base) - 1.0);
      verdict = stats::verdict_name(stats::compare(base->samples_ms, r.samples_ms).verdict);
    }
    int64_t peak = 0;
    for (const auto p : r.peak_memory_bytes) peak = std::max(peak, p);
    const SyncCounts sy = r.syncs.value_or(SyncCounts{});
    std::string validity = r.validity;
    for (const auto& why : r.invalid_reasons) validity += "; " + why;
    os << "| " << id << " | " << fixed_text(s.median) << " | " << fixed_text(s.min) << "-" << fixed_text(s.max) << " | "
       << fixed_text(100 * s.cv, 1) << "% | " << delta << " | " << verdict << " | " << r.tier << " | " << md5_cell(r)
       << " | " << sy.dit << "/" << sy.total << " | " << fixed_text(r.nccl_ms) << " | "
       << fixed_text(static_cast<double>(peak) / (1 << 20), 0) << " | " << markdown_cell(validity) << " |\n";
  }
  return os.str();
}

namespace {

// The GPU's clocks over each combination's timed repetitions (rank 0's GPU), when NVML was there.
std::string clocks_table(const std::vector<LedgerRecord>& records) {
  std::ostringstream os;
  for (const auto& r : records) {
    if (!ok(r) || r.gpu_clocks.empty()) continue;
    if (os.tellp() == 0)
      os << "\n## GPU clocks (NVML, over the timed repetitions)\n\n"
            "| combination | SM clock MHz (lowest repetition mean) | SM clock MHz (min-max) | max power W | "
            "event reasons (share of samples) |\n|---|---:|---:|---:|---|\n";
    double lowest_mean = 0, lo = 0, hi = 0, watts = -1;
    int64_t clocked = 0;  // windows with a clock reading (a failed read has none)
    std::map<std::string, double> share;  // over all samples of all repetitions
    int64_t samples = 0;
    for (const auto& w : r.gpu_clocks) {
      if (w.clock_samples > 0) {
        lowest_mean = clocked ? std::min(lowest_mean, w.sm_mhz_mean) : w.sm_mhz_mean;
        lo = clocked ? std::min(lo, w.sm_mhz_min) : w.sm_mhz_min;
        hi = std::max(hi, w.sm_mhz_max);
        ++clocked;
      }
      watts = std::max(watts, w.power_w_max);
      for (const auto& [reason, s] : w.reason_share) share[reason] += s * static_cast<double>(w.samples);
      samples += w.samples;
    }
    std::string reasons;
    for (const auto& [reason, n] : share)
      reasons += (reasons.empty() ? "" : ", ") + reason + " " + fixed_text(100.0 * n / static_cast<double>(std::max<int64_t>(samples, 1)), 0) + " %";
    os << "| " << markdown_cell(r.combination) << " | " << (clocked ? fixed_text(lowest_mean, 0) : "-") << " | "
       << (clocked ? fixed_text(lo, 0) + "-" + fixed_text(hi, 0) : "-") << " | " << (watts >= 0 ? fixed_text(watts, 0) : "-") << " | "
       << (reasons.empty() ? "none" : reasons) << " |\n";
  }
  return os.str();
}

}  // namespace

std::string markdown_report(const std::vector<LedgerRecord>& records, const std::string& title) {
  std::ostringstream os;
  os << "# " << title << "\n\n";
  if (!records.empty()) {
    const auto& r = records.front();
    os << "Workload: `" << r.workload.dump() << "`  \n"
       << "Fingerprint: `" << r.fingerprint_key << "`, " << r.warmup << " warm-up + " << r.repetitions
       << " timed generate() per combination, mode " << r.mode << ".\n\n";
    if (r.mode == "stack") os << "## PR stack\n\n" << pr_stack_table(records) << "\n";
  }
  os << "## Matrix\n\nVerdicts: Mann-Whitney U against the baseline's samples with the default thresholds "
        "(alpha 0.05, 1% and 5 ms).\n\n"
     << matrix_table(records);
  int cold = 0;
  for (const auto& r : records) cold += ok(r) && r.cold_ms.has_value();
  if (cold) {
    os << "\n## Cold (first generate() after a build)\n\n| combination | cold ms | warm median ms |\n|---|---:|---:|\n";
    for (const auto& r : records)
      if (ok(r) && r.cold_ms)
        os << "| " << markdown_cell(r.combination) << " | " << fixed_text(*r.cold_ms) << " | " << fixed_text(median_of(r))
           << " |\n";
  }
  int latency = 0;
  for (const auto& r : records) latency += ok(r) && !r.latency_ms.empty();
  if (latency) {
    os << "\n## Latency (from the start of generate(), medians)\n\n"
          "| combination | first chunk denoised ms | first frames decoded ms | generate() ms |\n|---|---:|---:|---:|\n";
    for (const auto& r : records) {
      if (!ok(r) || r.latency_ms.empty()) continue;
      auto cell = [&](const char* key) {
        auto it = r.latency_ms.find(key);
        return it == r.latency_ms.end() ? std::string("-") : fixed_text(it->second);
      };
      os << "| " << markdown_cell(r.combination) << " | " << cell("first_chunk") << " | " << cell("first_frame") << " | "
         << fixed_text(median_of(r)) << " |\n";
    }
  }
  os << clocks_table(records);
  return os.str();
}

}  // namespace ablate
