#include "experiments/runner/runner.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <random>

#include "core/cuda_device.h"
#include "core/error.h"
#include "experiments/common/fingerprint.h"
#include "experiments/common/invocation.h"
#include "experiments/common/run_environment.h"
#include "experiments/runner/baseline_lock.h"
#include "experiments/runner/engine_parts.h"
#include "experiments/runner/memory_preflight.h"
#include "experiments/runner/run_steps.h"
#include "optimizations/registry.h"
#include "profiling/memory_stats.h"

namespace ablate {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The fields every record of the run shares.
LedgerRecord common_record(const RunContext& ctx, const nlohmann::json& fingerprint) {
  const auto& spec = ctx.spec;
  LedgerRecord r;
  r.matrix = spec.name;
  r.mode = matrix_mode_name(spec.mode);
  r.workload = spec.workload.to_json();
  r.workload["world_size"] = ctx.world.size;
  r.workload["height"] = ctx.geometry.height;
  r.workload["width"] = ctx.geometry.width;
  r.workload["dtype"] = Precision::resolve_name(spec.workload.dtype, ctx.device);
  r.environment = environment_json(ctx.device);
  r.fingerprint = fingerprint;
  r.fingerprint_key = fingerprint_key(fingerprint);
  r.dit_forwards_expected = ctx.geometry.forwards_per_generate;
  r.spec = spec.to_json();
  r.command = invocation();
  return r;
}

// The reference from the baseline file, else (resume / append) from the ledger's baseline record.
void load_reference(RunContext& ctx, const std::vector<LedgerRecord>& earlier) {
  const auto& options = ctx.options;
  if (options.baseline) {
    if (const BaselineEntry* e = options.baseline->find(ctx.common.fingerprint_key))
      ctx.reference = e->reference("baseline " + options.baseline->path + " [" + e->key + "]",
                                   read_baseline_video(*options.baseline, *e),
                                   read_baseline_latents(*options.baseline, *e));
  }
  if (!ctx.reference.set() && (options.resume || options.append) && !options.ledger_path.empty()) {
    // a resumed (or appended) run gates against the outputs locked beside its ledger
    GateReference locked = read_ledger_lock(options.ledger_path, ctx.common.fingerprint_key, ctx.lock_unread);
    if (locked.set()) ctx.reference = std::move(locked);
  }
  for (const auto& r : earlier) {  // else against the baseline it measured before, by MD5 only
    if (ctx.reference.set() || r.combination != "baseline" || !r.ok() || r.md5.empty()) continue;
    ctx.reference.source = "the baseline record of " + options.ledger_path;
    ctx.reference.md5s = r.request_md5s.empty() ? std::vector<std::string>{r.md5} : r.request_md5s;
  }
  for (const auto& r : earlier)  // adaptive repetitions compare with the baseline measured before
    if (r.combination == "baseline" && r.ok() && ctx.baseline_samples.empty()) ctx.baseline_samples = r.samples_ms;
}

// Rank 0: the ledger (what a resumed run has done already) and the gate's reference.
void open_ledger(RunContext& ctx) {
  const auto& options = ctx.options;
  if (!ctx.report) return;
  std::vector<LedgerRecord> earlier;
  if (!options.ledger_path.empty() && (options.resume || options.append) && std::filesystem::exists(options.ledger_path)) {
    earlier = read_ledger(options.ledger_path);
    if (options.resume) ctx.finished = finished_combinations(earlier);
  }
  load_reference(ctx, earlier);
  if (!options.ledger_path.empty())
    ctx.ledger = std::make_unique<LedgerWriter>(options.ledger_path, options.resume || options.append);
}

}  // namespace

nlohmann::json run_fingerprint(const MatrixSpec& spec) {
  const int world_size = dist::launched_by_launcher() ? dist::world_from_env().size : 1;
  const torch::Device device = parse_device(spec.workload.device);
  const std::string dtype = Precision::resolve_name(spec.workload.dtype, device);
  apply_process_settings(spec.workload);
  auto fingerprint = determinism_fingerprint({device, world_size, dtype, spec.workload.to_json()});
  const auto inputs = workload_input_hashes(spec.workload);  // the files' contents, not their names
  if (!inputs.empty()) fingerprint["inputs"] = inputs;
  return fingerprint;
}

std::unique_ptr<RunContext> open_run(const MatrixSpec& spec, const RunnerOptions& options, std::ostream& progress) {
  auto ctx = std::make_unique<RunContext>(spec, options, progress);
  const bool distributed = dist::launched_by_launcher();
  if (distributed) ctx->world = dist::world_from_env();
  check_workload(spec.workload, ctx->world.size, json_field_name(spec.source + ": workload"));
  ctx->device = parse_device(spec.workload.device);
  if (distributed && ctx->device.is_cuda()) ctx->device = torch::Device(torch::kCUDA, ctx->world.local_rank);
  use_device(ctx->device);
  ctx->report = ctx->world.rank == 0;
  ctx->geometry = workload_geometry(spec.workload, ctx->world.size);
  ctx->inputs = load_workload_inputs(spec.workload);  // once, outside every timed region
  const std::string memory_line = run_matrix_memory_preflight(spec, ctx->device, ctx->world);  // exit 2 if it cannot fit
  if (ctx->report) progress << memory_line << "\n";
  ctx->cycle = spec.workload.requests_per_cycle();
  ABLATE_USAGE_CHECK(spec.warmup + spec.repetitions >= ctx->cycle, spec.source, ": a unique workload cycles through ",
                     ctx->cycle, " requests, but each combination runs only ", spec.warmup + spec.repetitions,
                     " generate() (warmup + repetitions); raise repetitions or lower workload.request_cycle");
  const auto fingerprint = run_fingerprint(spec);
  ctx->common = common_record(*ctx, fingerprint);
  open_ledger(*ctx);
  if (distributed && ctx->world.size > 1)
    ctx->comm = std::make_unique<dist::Communicator>(
        ctx->world, ctx->device,
        std::chrono::milliseconds(static_cast<int64_t>(spec.workload.collective_timeout_s * 1000)));
  return ctx;
}

LedgerRecord base_record(const RunContext& ctx, const Combination& c) {
  LedgerRecord r = ctx.common;
  r.combination = c.id;
  r.stage = c.stage;
  r.strategies = c.values;
  r.tier = opt::tier_name(c.tier);
  if (!ctx.options.partition.by_device) r.partition = ctx.options.partition.label();
  r.device = ctx.options.device_label;
  r.partition_reference = ctx.partition_references.count(c.id) > 0;
  return r;
}

namespace {

// Engine groups: one per build key (split into balanced parts when asked), the baseline's first
// (its output is the gate's reference), the others in seeded order.
std::vector<std::vector<size_t>> group_by_engine(const RunContext& ctx, const std::vector<Combination>& combos,
                                                 const std::vector<size_t>& todo, std::mt19937_64& rng) {
  std::vector<std::vector<size_t>> groups;
  std::map<std::string, size_t> group_of;
  for (size_t i : todo) {
    auto [it, fresh] = group_of.emplace(combos[i].build_key, groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  if (ctx.options.max_group_size > 0) {
    std::vector<std::vector<size_t>> parts;
    for (const auto& g : groups)
      for (auto& part : balanced_parts(g, combos, static_cast<size_t>(ctx.options.max_group_size), ctx.spec.order_seed))
        parts.push_back(std::move(part));
    groups = std::move(parts);
  }
  auto has_baseline = [&](const std::vector<size_t>& g) {
    return std::any_of(g.begin(), g.end(), [&](size_t i) { return combos[i].values.empty(); });
  };
  std::stable_partition(groups.begin(), groups.end(), has_baseline);
  if (groups.size() > 1) std::shuffle(groups.begin() + (has_baseline(groups[0]) ? 1 : 0), groups.end(), rng);
  return groups;
}

// --partition: this job's engine groups (partition.h). A job without the baseline's group runs the
// baseline alone first, as its reference (the gate's and its verdicts').
std::vector<std::vector<size_t>> this_partition(RunContext& ctx, const std::vector<Combination>& combos,
                                                const std::vector<std::vector<size_t>>& groups) {
  const Partition& part = ctx.options.partition;
  const auto owned = part.by_device ? deal_groups_at_random(groups, part.count, ctx.spec.order_seed + 2)
                                    : partition_groups(groups, combos, part.count);
  std::vector<std::vector<size_t>> mine;
  for (size_t g : owned[static_cast<size_t>(part.index)]) mine.push_back(groups[g]);
  const bool has_baseline_group = !groups.empty() && std::any_of(groups[0].begin(), groups[0].end(), [&](size_t i) {
    return combos[i].values.empty();
  });
  const bool owns_baseline = !mine.empty() && mine.front() == groups.front();
  if (has_baseline_group && !owns_baseline) {
    for (size_t i : groups[0])
      if (combos[i].values.empty()) {
        mine.insert(mine.begin(), std::vector<size_t>{i});
        ctx.partition_references.insert(combos[i].id);
      }
  }
  return mine;
}

}  // namespace

RunPlan plan_run(RunContext& ctx, RunnerResult& result) {
  RunPlan plan;
  opt::RunConfig where;
  where.device = ctx.device;
  where.world_size = ctx.world.size;
  plan.combos = expand_combinations(ctx.spec, where);
  // rank 0 decides the counts and which combinations run; everyone runs exactly that
  std::vector<int64_t> counts{ctx.spec.warmup, ctx.spec.repetitions};
  for (const auto& c : plan.combos) counts.push_back(ctx.finished.count(c.id) ? 0 : 1);
  if (ctx.comm) {
    auto t = torch::tensor(counts, torch::kLong).to(ctx.device);
    ctx.comm->broadcast(t, 0);
    t = t.cpu();
    for (size_t i = 0; i < counts.size(); ++i) counts[i] = t[static_cast<int64_t>(i)].item<int64_t>();
  }
  plan.warmup = counts[0];
  plan.repetitions = counts[1];
  std::vector<size_t> todo, runnable;
  for (size_t i = 0; i < plan.combos.size(); ++i) {
    const auto& c = plan.combos[i];
    if (c.skip_reason.empty()) runnable.push_back(i);
    if (!counts[2 + i]) continue;
    if (c.skip_reason.empty()) {
      todo.push_back(i);
      continue;
    }
    // skipped combinations are recorded, never dropped (by job 1 of a partitioned run)
    if (!ctx.report || ctx.options.partition.index != 0) continue;
    auto r = base_record(ctx, c);
    r.status = RecordStatus::kSkipped;
    r.reason = c.skip_reason;
    ctx.progress << "skip " << c.id << ": " << c.skip_reason << "\n";
    if (ctx.ledger) ctx.ledger->write(r);
    result.records.push_back(r);
  }
  ctx.common.warmup = plan.warmup;
  ctx.common.repetitions = plan.repetitions;
  std::mt19937_64 rng(ctx.spec.order_seed);
  if (!ctx.options.partition.active()) {
    plan.groups = group_by_engine(ctx, plan.combos, todo, rng);
  } else {
    // the split of the whole matrix (a resumed job must own the same groups), less what is done
    const std::set<size_t> pending(todo.begin(), todo.end());
    for (auto g : this_partition(ctx, plan.combos, group_by_engine(ctx, plan.combos, runnable, rng))) {
      g.erase(std::remove_if(g.begin(), g.end(), [&](size_t i) { return !pending.count(i); }), g.end());
      if (!g.empty()) plan.groups.push_back(std::move(g));
    }
  }
  for (const auto& g : plan.groups) ctx.total_runs += static_cast<int64_t>(g.size()) * (plan.warmup + plan.repetitions);
  return plan;
}

bool budget_spent(RunContext& ctx, size_t g) {
  if (g == 0 || ctx.options.time_budget_s <= 0) return false;
  auto stop = torch::tensor({static_cast<int64_t>(seconds_since(ctx.begin) > ctx.options.time_budget_s)}, torch::kLong);
  if (ctx.comm) {
    stop = stop.to(ctx.device);
    ctx.comm->broadcast(stop, 0);
  }
  return stop.cpu().item<int64_t>() != 0;
}

namespace {

// Tier-B combinations are judged by their distance to the baseline's outputs. A run that measures
// the baseline locks them beside its ledger; a resumed one whose ledger holds the baseline's MD5s
// only (its lock was not written, or did not come back from another machine) runs the baseline
// once per request to lock them, before its first tier-B combination. That takes every rank, so at
// world > 1 it only says what to do instead.
void prepare_reference_outputs(RunContext& ctx, const RunPlan& plan) {
  using Lock = RunnerOptions::LedgerLock;
  const auto tier_b = [&](size_t i) { return plan.combos[i].tier == opt::Tier::kB; };
  bool any_tier_b = false, pending_tier_b = false;
  for (size_t i = 0; i < plan.combos.size(); ++i) any_tier_b = any_tier_b || tier_b(i);
  for (const auto& group : plan.groups)
    for (size_t i : group) pending_tier_b = pending_tier_b || tier_b(i);
  const auto& o = ctx.options;
  ctx.lock_reference = ctx.report && !o.ledger_path.empty() &&
                       (o.ledger_lock == Lock::kAlways || (o.ledger_lock == Lock::kWhenTierB && any_tier_b));
  if (!ctx.report || !pending_tier_b || !ctx.reference.set() || ctx.reference.video_u8.defined()) return;
  const std::string& why = ctx.lock_unread;
  if (ctx.world.size > 1) {
    ctx.progress << "warning: " << ctx.reference.source << " gives the baseline's MD5s only (" << why
                 << "), so tier-B combinations cannot be judged by their distance to it; resume at world 1 "
                 << "once, or run the baseline in the same call\n";
    return;
  }
  ctx.progress << ctx.reference.source << " gives the baseline's MD5s only (" << why
               << "); running the baseline once per request to lock its video and latents for the tier-B gate ("
               << ledger_baseline_path(o.ledger_path) << ")\n";
  GateReference outputs =
      baseline_outputs_of(run_baseline_outputs(ctx.spec), "the baseline rerun and locked beside " + o.ledger_path);
  if (outputs.md5s != ctx.reference.md5s)  // another build or machine: its MD5s are what tier A keeps
    ctx.progress << "warning: the baseline's MD5s now differ from " << ctx.reference.source
                 << "; tier-A combinations are gated against the rerun\n";
  ctx.reference = std::move(outputs);
  lock_beside_ledger(o.ledger_path, ctx.spec, ctx.common.fingerprint, ctx.reference);
}

}  // namespace

RunnerResult run_matrix(const MatrixSpec& spec, const RunnerOptions& options) {
  std::ostream& progress = options.progress ? *options.progress : std::cerr;
  auto ctx = open_run(spec, options, progress);
  RunnerResult result;
  result.fingerprint = ctx->common.fingerprint;
  const RunPlan plan = plan_run(*ctx, result);
  prepare_reference_outputs(*ctx, plan);
  std::mt19937_64 rng(spec.order_seed + 1);  // the rounds' order within each group
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    if (budget_spent(*ctx, g)) {
      result.groups_left = static_cast<int>(plan.groups.size() - g);
      if (ctx->report)
        progress << "time budget of " << std::defaultfloat << options.time_budget_s << " s spent: " << result.groups_left
                 << " engine group(s) left; rerun with --resume to measure them\n";
      break;
    }
    // each engine group starts with the device's memory as a fresh process would (the previous
    // group's engine and its strategies' graph pools are gone by now)
    release_cached_memory(ctx->device);
    const auto& first = plan.combos[plan.groups[g].front()];
    Engine engine(spec.workload, ctx->device, ctx->comm.get(), first.values);
    auto accs = measure_group(*ctx, plan, g, rng, engine);
    audit_syncs(*ctx, engine, accs);
    if (ctx->report) record_group(*ctx, accs, result);
    engine.reset();  // frees the engine before the next one is built
  }
  if (ctx->comm) ctx->comm->barrier();
  result.steps_per_chunk = ctx->reference.steps_per_chunk;
  return result;
}

}  // namespace ablate
