// run_steps.h: building a group's engine, measuring its interleaved rounds, the sync audit.
#include <iomanip>
#include <random>
#include <sstream>

#include "core/error.h"
#include "core/video_hash.h"
#include "experiments/common/operation_context.h"
#include "experiments/runner/run_steps.h"
#include "experiments/runner/sync_audit.h"
#include "experiments/common/elapsed.h"

namespace ablate {
namespace {

using Clock = std::chrono::steady_clock;

std::string fmt_duration(double seconds) {
  std::ostringstream os;
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) os << s / 3600 << "h";
  if (s >= 60) os << (s / 60) % 60 << "m";
  os << s % 60 << "s";
  return os.str();
}

// Builds the engine and installs every combination of the group in its own slot.
void build_engine(RunContext& ctx, Engine& engine, std::vector<Accumulator>& accs, const std::string& group) {
  const double build_ms = engine.build();
  const GenerateRequest request = make_request(ctx.spec.workload, ctx.world.size, 0, &ctx.inputs);
  for (auto& a : accs) {
    a.build_ms = build_ms;
    a.install_ms = engine.install(a.slot, a.combo.values, request).install_ms;
  }
  if (ctx.report)
    ctx.progress << "engine " << group << " [" << accs.front().combo.build_key << "] built in " << std::fixed
                 << std::setprecision(0) << build_ms << " ms for " << accs.size() << " combination(s)\n";
}

// What one run adds to its combination: the sample (timed runs), and per request of the cycle the
// output identity at its first occurrence, compared at every later one.
void accumulate(RunContext& ctx, Accumulator& a, const Measurement& m, int64_t run, bool timed, bool cold) {
  a.forwards = m.output.dit_forwards;
  a.syncs.total = m.output.host_reads.syncs();
  a.syncs.dit = m.output.dit_host_reads.syncs();
  a.syncs.host_metadata = m.output.host_reads.total() - m.output.host_reads.syncs();
  if (a.peak_per_rank.size() != m.peak_per_rank.size()) a.peak_per_rank.assign(m.peak_per_rank.size(), 0);
  for (size_t r = 0; r < m.peak_per_rank.size(); ++r) a.peak_per_rank[r] = std::max(a.peak_per_rank[r], m.peak_per_rank[r]);
  // a batch's samples are per request (generate() / B): 1 / throughput, comparable with unbatched
  // combinations; generate_samples keep the batch's generate() time
  const double per_request = 1.0 / static_cast<double>(requests_per_generate(ctx.spec.workload, a.combo.values));
  if (cold) a.cold_ms = m.sample_ms * per_request;
  const auto k = static_cast<size_t>(run % ctx.cycle);
  if (ctx.report) {
    const auto video = video_to_uint8(m.output.video);
    const std::string md5 = tensor_md5(video);
    if (a.output.md5s.size() == k) {  // the request's first occurrence
      a.output.md5s.push_back(md5);
      a.output.chains.push_back(hash_chain(m.output.step_latents));
      if (k == 0) {
        a.output.video_u8 = video.cpu();
        a.output.latents = m.output.latents.to(torch::kCPU, torch::kFloat);  // tier-B relative L2
        a.output.rank_latent_md5s = m.rank_latent_md5s;
      }
    } else if (a.output.md5s[k] != md5) {
      a.unstable.push_back("output MD5 of request " + std::to_string(k) + " changed between cycles");
    }
  }
  if (!timed) return;
  a.samples.push_back(m.sample_ms * per_request);
  a.generate_samples.push_back(m.generate_ms);
  if (m.gpu_clocks) a.clocks.push_back(*m.gpu_clocks);
  for (const auto& [label, ms] : m.phase_ms) a.phases[label].push_back(ms);
  for (const auto& [label, ms] : m.latency_ms) a.latency[label].push_back(ms);
  for (const auto& [name, c] : m.collectives) {
    auto& s = a.collectives[name];
    s.calls += c.calls;
    s.bytes += c.bytes;
    s.ms += c.ms;
  }
  ++a.timed_runs;
}

void print_progress(RunContext& ctx, const Accumulator& a, int64_t round, int64_t warmup, double sample_ms) {
  const double elapsed = std::chrono::duration<double>(Clock::now() - ctx.begin).count();
  const double eta = ctx.runs_done ? elapsed / ctx.runs_done * (ctx.total_runs - ctx.runs_done) : 0;
  const auto& part = ctx.options.partition;  // a partition's job says which
  ctx.progress << "[" << ctx.runs_done << "/" << ctx.total_runs << "] "
               << (part.active() && !part.by_device ? "job " + part.label() + " " : std::string()) << a.combo.id << " "
               << (round >= warmup ? "rep " + std::to_string(round - warmup + 1) : "warmup " + std::to_string(round + 1))
               << ": " << std::fixed << std::setprecision(1) << sample_ms << " ms  elapsed " << fmt_duration(elapsed)
               << "  ETA " << fmt_duration(eta) << std::endl;
}

// One generate() of one combination: a rebuild first when the combination asks for one per
// request (its sample then includes the rebuild), then the measured request.
void run_once(RunContext& ctx, Engine& engine, Accumulator& a, int64_t round, int64_t warmup, bool& fresh_build) {
  double rebuild_ms = 0;
  if (a.combo.per_request_engine) {
    if (fresh_build) {
      rebuild_ms = a.build_ms + a.install_ms;
    } else {
      const auto t0 = Clock::now();
      engine.build();
      engine.install(a.slot, a.combo.values, make_request(ctx.spec.workload, ctx.world.size, round, &ctx.inputs));
      rebuild_ms = ms_since(t0);
    }
  }
  engine.use(a.slot);
  OperationScope scope("generating round " + std::to_string(round + 1) + " of combination " + a.combo.id);
  // the combination's batch of requests in one generate() (1: the unbatched one); the output
  // identity is request 0's, the sample the time per request (accumulate)
  const auto requests = make_batch_requests(with_requests_per_generate(ctx.spec.workload, a.combo.values),
                                            ctx.world.size, round, &ctx.inputs);
  MeasureOptions measure;
  measure.extra_ms = rebuild_ms;
  measure.perturb_latents = ctx.options.debug_perturb_rank == ctx.world.rank;
  const Measurement m = measure_generate_batch(engine.pipeline(), requests, ctx.comm.get(), measure);
  accumulate(ctx, a, m, round, round >= warmup, fresh_build);
  a.counters = engine.installed(a.slot).counters();
  fresh_build = false;
  ++ctx.runs_done;
  if (ctx.report) print_progress(ctx, a, round, warmup, m.sample_ms);
}

}  // namespace

std::vector<Accumulator> measure_group(RunContext& ctx, const RunPlan& plan, size_t group_index,
                                       std::mt19937_64& rng, Engine& engine) {
  const std::vector<size_t>& group = plan.groups[group_index];
  std::vector<Accumulator> accs(group.size());
  for (size_t k = 0; k < accs.size(); ++k) {
    accs[k].combo = plan.combos[group[k]];
    accs[k].slot = k;
  }
  try {
    OperationScope scope("building the engine of group " + std::to_string(group_index + 1) + "/" +
                         std::to_string(plan.groups.size()));
    build_engine(ctx, engine, accs, std::to_string(group_index + 1) + "/" + std::to_string(plan.groups.size()));
  } catch (const UsageError&) {
    throw;
  } catch (const std::exception& e) {
    if (ctx.comm) throw;  // the other ranks cannot go on alone; the launcher ends them
    for (auto& a : accs) a.error = std::string("engine build failed: ") + error_summary(e);
    return accs;
  }
  bool fresh_build = true;
  const int64_t runs = plan.warmup + plan.repetitions;
  for (int64_t round = 0; round < runs; ++round) {
    std::vector<size_t> order(accs.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t k : order) {
      Accumulator& a = accs[k];
      if (!a.error.empty() || a.stop) continue;
      try {
        run_once(ctx, engine, a, round, plan.warmup, fresh_build);
      } catch (const UsageError&) {
        throw;
      } catch (const std::exception& e) {
        if (ctx.comm) throw;
        a.error = error_summary(e);  // one line, without LibTorch's backtrace
        ctx.runs_done += runs - round - 1;
        ctx.progress << "error in " << a.combo.id << ": " << a.error << "\n";
      }
    }
    if (ctx.options.adaptive && round >= plan.warmup && !decide_stops(ctx, accs, runs - round - 1)) break;
  }
  return accs;
}

void audit_syncs(RunContext& ctx, Engine& engine, std::vector<Accumulator>& accs) {
  if (!ctx.options.audit_syncs || !ctx.device.is_cuda() || !engine.built()) return;
  for (auto& a : accs) {
    if (!a.error.empty()) continue;
    // the generate() the runs measure: the combination's batch of requests (one when unbatched)
    const auto requests =
        make_batch_requests(with_requests_per_generate(ctx.spec.workload, a.combo.values), ctx.world.size, 0, &ctx.inputs);
    if (!engine.has(a.slot)) {  // a per-request engine was rebuilt for another combination since
      engine.build();
      engine.install(a.slot, a.combo.values, requests.front());
    }
    engine.use(a.slot);
    a.syncs.cuda_sync_debug = count_cuda_syncs([&] { engine.pipeline().generate_batch(requests); });
  }
}

}  // namespace ablate
