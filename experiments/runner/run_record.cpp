// run_steps.h: a group's ledger records: statistics of the samples, the gate and validity; with a
// ledger, the thumbnails beside it (run_thumbnails.h).
#include <algorithm>
#include <filesystem>

#include "experiments/runner/baseline_lock.h"
#include "experiments/runner/collective_bandwidth.h"
#include "experiments/runner/run_thumbnails.h"
#include "experiments/runner/run_steps.h"
#include "experiments/stats/statistics.h"
#include "experiments/stats/verdict.h"

namespace ablate {
namespace {

SampleStats sample_stats(const std::vector<double>& x, uint64_t seed) {
  stats::BootstrapOptions bo;
  bo.seed = seed;
  const auto ci = stats::bootstrap_median_ci(x, bo);
  return {stats::median(x), stats::mean(x), stats::stddev(x), stats::cv(x),
          *std::min_element(x.begin(), x.end()), *std::max_element(x.begin(), x.end()), ci.lo, ci.hi};
}

std::map<std::string, double> medians(const std::map<std::string, std::vector<double>>& series) {
  std::map<std::string, double> out;
  for (const auto& [label, v] : series) out[label] = stats::median(v);
  return out;
}

// The measurements of an accumulator that ran.
void fill_measurements(const RunContext& ctx, const Accumulator& a, LedgerRecord& r) {
  r.samples_ms = a.samples;
  // where a sample is not one generate(): a rebuild included, or a batch's time per request
  if (a.combo.per_request_engine || requests_per_generate(ctx.spec.workload, a.combo.values) > 1)
    r.generate_samples_ms = a.generate_samples;
  r.cold_ms = a.cold_ms;
  r.build_ms = a.build_ms;
  r.install_ms = a.install_ms;
  r.stats = sample_stats(a.samples, ctx.spec.order_seed);
  r.phases_ms = medians(a.phases);
  r.latency_ms = medians(a.latency);
  for (auto [name, c] : a.collectives) {  // per generate(): the sums over the timed runs averaged
    c.calls = static_cast<int64_t>(std::llround(static_cast<double>(c.calls) / a.timed_runs));
    c.bytes = static_cast<int64_t>(std::llround(static_cast<double>(c.bytes) / a.timed_runs));
    c.ms /= a.timed_runs;
    r.collectives[name] = c;
    if (name != "barrier") r.nccl_ms += c.ms;
  }
  add_bandwidth(r.collectives, ctx.world.size);
  r.syncs = a.syncs;
  r.peak_memory_bytes = a.peak_per_rank;
  r.dit_forwards = a.forwards;
  r.counters = a.counters;
  r.md5 = a.output.md5s.empty() ? "" : a.output.md5s.front();
  r.md5_stable = a.unstable.empty();
  r.hash_chain_head = a.output.chains.empty() || a.output.chains.front().empty() ? "" : a.output.chains.front().back();
  if (ctx.cycle > 1) r.request_md5s = a.output.md5s;
  if (ctx.world.size > 1) r.rank_latent_md5s = a.output.rank_latent_md5s;
  r.gpu_clocks = a.clocks;
}

// The gate's findings and verdict, and validity with every reason.
void judge(RunContext& ctx, Accumulator& a, LedgerRecord& r, RunnerResult& result) {
  GateCandidate candidate = a.output;
  candidate.tier = r.tier;
  candidate.values = a.combo.values;
  r.gate = judge_output(ctx.reference, candidate);
  const GateVerdict verdict = gate_verdict(r.tier, r.gate);
  const auto validity = stats::check_validity(a.samples);
  r.invalid_reasons = validity.reasons;
  r.warnings = validity.warnings;
  if (!verdict.pass) {
    ++result.gate_failures;
    r.invalid_reasons.push_back(verdict.reason);
  }
  for (const auto& why : a.unstable) r.invalid_reasons.push_back(why);
  // a repetition that ran far below the GPU's maximum clock measured its cooling, not the code
  const ClockFindings clocks = judge_clocks(r.gpu_clocks);
  r.invalid_reasons.insert(r.invalid_reasons.end(), clocks.invalid.begin(), clocks.invalid.end());
  r.warnings.insert(r.warnings.end(), clocks.warnings.begin(), clocks.warnings.end());
  r.validity = r.invalid_reasons.empty() ? "VALID" : "INVALID";
}

// The baseline combination's output is the reference when no baseline file or ledger gave one.
void adopt_as_reference(RunContext& ctx, const Accumulator& a) {
  if (!a.combo.values.empty() || ctx.reference.set()) return;
  ctx.reference.source = "this run's baseline combination";
  ctx.reference.md5s = a.output.md5s;
  ctx.reference.chains = a.output.chains;
  ctx.reference.video_u8 = a.output.video_u8;
  ctx.reference.latents = a.output.latents;
  const auto& chain = a.output.chains.empty() ? std::vector<std::string>{} : a.output.chains.front();
  ctx.reference.steps_per_chunk =
      ctx.geometry.num_chunks ? static_cast<int64_t>(chain.size()) / ctx.geometry.num_chunks : 4;
  if (!ctx.lock_reference) return;
  try {
    lock_beside_ledger(ctx.options.ledger_path, ctx.spec, ctx.common.fingerprint, ctx.reference);
  } catch (const std::exception& e) {  // the measurements stand; only a later resume lacks the distances
    ctx.progress << "warning: could not lock the baseline's outputs beside " << ctx.options.ledger_path << ": "
                 << e.what() << "\n";
  }
}

// Beside the ledger (rank 0): see run_thumbnails.h.
void write_thumbnails(const RunContext& ctx, const Accumulator& a, const LedgerRecord& r) {
  if (!ctx.report || ctx.options.ledger_path.empty() || !a.output.video_u8.defined()) return;
  const auto dir = std::filesystem::path(ctx.options.ledger_path).parent_path() / "thumbnails";
  write_run_thumbnails(dir.string(), r.combination, a.combo.values.empty(), a.output, ctx.reference, ctx.progress);
}

}  // namespace

void record_group(RunContext& ctx, std::vector<Accumulator>& accs, RunnerResult& result) {
  std::stable_sort(accs.begin(), accs.end(),
                   [](const Accumulator& x, const Accumulator& y) { return x.combo.values.empty() > y.combo.values.empty(); });
  for (auto& a : accs) {
    LedgerRecord r = base_record(ctx, a.combo);
    if (!a.error.empty() || a.samples.empty()) {
      r.status = RecordStatus::kError;
      r.reason = a.error.empty() ? "no timed samples" : a.error;
      ++result.errors;
    } else {
      fill_measurements(ctx, a, r);
      record_adaptive(ctx, a, r);
      adopt_as_reference(ctx, a);
      judge(ctx, a, r, result);
      write_thumbnails(ctx, a, r);
      if (ctx.options.keep_video && a.combo.values.empty()) {
        result.baseline_video = a.output.video_u8;
        result.baseline_latents = a.output.latents;
        result.baseline_md5s = a.output.md5s;
        result.baseline_chains = a.output.chains;
      }
    }
    if (ctx.ledger) ctx.ledger->write(r);
    result.records.push_back(r);
    a.output.video_u8 = torch::Tensor();  // the reference keeps its own handle
    a.output.latents = torch::Tensor();
  }
}

}  // namespace ablate
