#include "experiments/runner/runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "core/cuda_device.h"
#include "core/dist/world.h"
#include "core/error.h"
#include "core/video_hash.h"
#include "experiments/runner/collective_bandwidth.h"
#include "experiments/runner/combinations.h"
#include "experiments/runner/engine.h"
#include "experiments/runner/engine_parts.h"
#include "experiments/common/fingerprint.h"
#include "experiments/common/invocation.h"
#include "experiments/runner/ledger.h"
#include "experiments/common/run_environment.h"
#include "experiments/stats/statistics.h"
#include "experiments/runner/sync_audit.h"
#include "experiments/stats/verdict.h"
#include "optimizations/registry.h"
#include "profiling/memory_stats.h"
#include "profiling/phase_timer.h"

namespace ablate {
namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::string fmt_duration(double seconds) {
  std::ostringstream os;
  const auto s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) os << s / 3600 << "h";
  if (s >= 60) os << (s / 60) % 60 << "m";
  os << s % 60 << "s";
  return os.str();
}

// One combination's measurements while its group runs.
struct Accumulator {
  Combination combo;
  std::unique_ptr<InstalledStrategies> installed;
  std::vector<double> samples;           // what a user waits for: generate() (+ build when per_request)
  std::vector<double> generate_samples;  // generate() alone
  std::optional<double> cold_ms;
  std::map<std::string, std::vector<double>> phases;
  std::map<std::string, std::array<double, 3>> collectives;  // calls, bytes, ms summed over timed runs
  int timed_runs = 0;
  std::string md5;
  bool md5_stable = true;
  std::vector<std::string> chain;
  torch::Tensor video_u8;
  nlohmann::json syncs;
  std::vector<double> peak_per_rank;
  int64_t cuda_syncs = -1;
  int64_t forwards = 0;
  double build_ms = 0;
  std::string error;
};

struct Reference {  // what the gate compares against
  std::string source;  // "baseline file <key>" | "this run's baseline combination"
  std::string md5;
  std::vector<std::string> chain;
  torch::Tensor video_u8;
  int64_t steps_per_chunk = 4;
  bool set = false;
};

nlohmann::json reads_json(const HostReadStats& all, const HostReadStats& dit) {
  return {{"total", all.syncs()}, {"dit", dit.syncs()}, {"host_metadata", all.total() - all.syncs()}};
}

// The bound a tier-B combination is held to: the loosest of its tier-B strategies' bounds (PSNR
// and max |diff| against the baseline video), over the strategies it switches on.
std::pair<double, int64_t> tier_b_bound(const std::map<std::string, std::string>& values) {
  double min_psnr = 1e9;
  int64_t max_abs = 0;
  for (const auto& [name, value] : values) {  // values: the non-baseline ones only
    const auto info = opt::strategy_info(name);
    if (info.tier != opt::Tier::kB) continue;
    min_psnr = std::min(min_psnr, info.min_psnr_db);
    max_abs = std::max(max_abs, info.max_abs_u8);
  }
  return {min_psnr, max_abs};
}

}  // namespace

nlohmann::json run_fingerprint(const MatrixSpec& spec) {
  const int world_size = dist::launched_by_launcher() ? dist::world_from_env().size : 1;
  const torch::Device device = parse_device(spec.workload.device);
  const std::string dtype = Precision::resolve_name(spec.workload.dtype, device);
  configure_determinism();
  return determinism_fingerprint({device, world_size, dtype, spec.workload.to_json()});
}

RunnerResult run_matrix(const MatrixSpec& spec, const RunnerOptions& options) {
  std::ostream& progress = options.progress ? *options.progress : std::cerr;
  // ~~~ everything that can be wrong with the input is checked before any work ~~~
  dist::WorldInfo world;
  const bool distributed = dist::launched_by_launcher();
  if (distributed) world = dist::world_from_env();
  torch::Device device = parse_device(spec.workload.device);
  if (distributed && device.is_cuda()) device = torch::Device(torch::kCUDA, world.local_rank);
  use_device(device);
  const auto model = preset(spec.workload.preset);
  ABLATE_USAGE_CHECK(model.dit.num_heads() % world.size == 0, spec.source, ": world size ", world.size,
                     " does not divide the ", model.dit.num_heads(), " heads of preset ", model.name);
  const GenerateRequest base_request = make_request(spec.workload, world.size);
  const VideoGeometry geometry = compute_geometry(base_request.geometry);  // UsageError on a bad size/frames
  opt::RunConfig where;
  where.device = device;
  where.world_size = world.size;
  const auto combos = expand_combinations(spec, where);
  const bool report = world.rank == 0;

  RunnerResult result;
  const std::string dtype = Precision::resolve_name(spec.workload.dtype, device);
  result.fingerprint = run_fingerprint(spec);
  const std::string fp_key = fingerprint_key(result.fingerprint);
  Reference reference;
  if (options.baseline) {
    const BaselineEntry* e = options.baseline->find(fp_key);
    if (e) {
      reference.source = "baseline " + options.baseline->path + " [" + e->key + "]";
      reference.md5 = e->md5;
      reference.chain = e->hash_chain;
      reference.steps_per_chunk = e->steps_per_chunk;
      reference.video_u8 = read_baseline_video(*options.baseline, *e);
      reference.set = true;
    }
  }

  std::set<std::string> finished;
  std::unique_ptr<LedgerWriter> ledger;
  if (report && !options.ledger_path.empty()) {
    if ((options.resume || options.append) && std::ifstream(options.ledger_path).good()) {
      const auto earlier = read_ledger(options.ledger_path);
      if (options.resume) finished = finished_combinations(earlier);
      for (const auto& r : earlier)  // a resumed (or appended) run gates against the baseline it measured before
        if (!reference.set && r.value("combination", "") == "baseline" && r.value("status", "") == "ok") {
          reference.source = "the baseline record of " + options.ledger_path;
          reference.md5 = r.value("md5", "");
          reference.set = !reference.md5.empty();
        }
    }
    ledger = std::make_unique<LedgerWriter>(options.ledger_path, options.resume || options.append);
  }

  std::unique_ptr<dist::Communicator> comm;
  if (distributed && world.size > 1)
    comm = std::make_unique<dist::Communicator>(
        world, device, std::chrono::milliseconds(static_cast<int64_t>(spec.workload.collective_timeout_s * 1000)));

  // rank 0 decides the counts and which combinations run; everyone runs exactly that
  std::vector<int64_t> plan{spec.warmup, spec.repetitions};
  for (size_t i = 0; i < combos.size(); ++i)
    plan.push_back(finished.count(combos[i].id) ? 0 : 1);
  if (comm) {
    auto t = torch::tensor(plan, torch::kLong).to(device);
    comm->broadcast(t, 0);
    t = t.cpu();
    for (size_t i = 0; i < plan.size(); ++i) plan[i] = t[static_cast<int64_t>(i)].item<int64_t>();
  }
  const int64_t warmup = plan[0], reps = plan[1];

  nlohmann::json common;
  common["schema"] = kLedgerSchema;
  common["matrix"] = spec.name;
  common["mode"] = matrix_mode_name(spec.mode);
  common["workload"] = spec.workload.to_json();
  common["workload"]["world_size"] = world.size;
  common["workload"]["height"] = geometry.height;
  common["workload"]["width"] = geometry.width;
  common["workload"]["dtype"] = dtype;
  common["environment"] = environment_json(device);
  common["fingerprint"] = result.fingerprint;
  common["fingerprint_key"] = fp_key;
  common["warmup"] = warmup;
  common["repetitions"] = reps;
  common["dit_forwards_expected"] = geometry.forwards_per_generate;
  common["spec"] = spec.to_json();
  common["command"] = invocation();

  auto base_record = [&](const Combination& c) {
    nlohmann::json r = common;
    r["combination"] = c.id;
    r["stage"] = c.stage;
    r["strategies"] = c.values;
    r["tier"] = opt::tier_name(c.tier);
    return r;
  };

  // skipped combinations are recorded, never dropped; the rest are grouped by engine
  std::vector<std::vector<size_t>> groups;
  std::map<std::string, size_t> group_of;
  int64_t total_runs = 0;
  for (size_t i = 0; i < combos.size(); ++i) {
    if (!plan[2 + i]) continue;
    if (!combos[i].skip_reason.empty()) {
      if (report) {
        auto r = base_record(combos[i]);
        r["status"] = "skipped";
        r["reason"] = combos[i].skip_reason;
        progress << "skip " << combos[i].id << ": " << combos[i].skip_reason << "\n";
        if (ledger) ledger->write(r);
        result.records.push_back(r);
      }
      continue;
    }
    auto [it, fresh] = group_of.emplace(combos[i].build_key, groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(i);
    total_runs += warmup + reps;
  }
  if (options.max_group_size > 0) {  // split big groups, balanced: each part builds its own engine
    std::vector<std::vector<size_t>> parts;
    for (const auto& g : groups)
      for (auto& part : balanced_parts(g, combos, static_cast<size_t>(options.max_group_size), spec.order_seed))
        parts.push_back(std::move(part));
    groups = std::move(parts);
  }
  // the baseline's engine first (its MD5 is the gate's reference); the others in seeded order
  std::mt19937_64 rng(spec.order_seed);
  auto has_baseline = [&](const std::vector<size_t>& g) {
    return std::any_of(g.begin(), g.end(), [&](size_t i) { return combos[i].values.empty(); });
  };
  std::stable_partition(groups.begin(), groups.end(), has_baseline);
  if (groups.size() > 1) std::shuffle(groups.begin() + (has_baseline(groups[0]) ? 1 : 0), groups.end(), rng);

  const auto run_begin = Clock::now();
  int64_t runs_done = 0;
  int64_t unique_counter = 0;

  for (size_t g = 0; g < groups.size(); ++g) {
    if (g > 0 && options.time_budget_s > 0) {  // rank 0's clock decides, so every rank stops together
      auto stop = torch::tensor({static_cast<int64_t>(ms_since(run_begin) / 1000.0 > options.time_budget_s)}, torch::kLong);
      if (comm) {
        stop = stop.to(device);
        comm->broadcast(stop, 0);
      }
      if (stop.cpu().item<int64_t>()) {
        result.groups_left = static_cast<int>(groups.size() - g);
        if (report)
          progress << "time budget of " << std::defaultfloat << options.time_budget_s << " s spent: " << result.groups_left
                   << " engine group(s) left; rerun with --resume to measure them\n";
        break;
      }
    }
    std::vector<Accumulator> acc(groups[g].size());
    for (size_t k = 0; k < acc.size(); ++k) acc[k].combo = combos[groups[g][k]];
    const bool per_request = opt::RunConfig{acc[0].combo.values, device, world.size}.value_of("persistent") == "per_request";
    std::unique_ptr<Pipeline> pipeline;
    auto build = [&](size_t only = SIZE_MAX) {  // builds the engine and installs every (or one) combination
      pipeline.reset();
      const auto t0 = Clock::now();
      PipelineOptions popts = pipeline_options(spec.workload, device, comm.get());
      configure_strategies(acc[0].combo.values, popts);
      reset_peak_memory(device);
      pipeline = std::make_unique<Pipeline>(popts);
      const double build_ms = ms_since(t0);
      for (size_t k = 0; k < acc.size(); ++k) {
        if (only != SIZE_MAX && k != only) continue;
        acc[k].installed = std::make_unique<InstalledStrategies>(
            install_strategies(acc[k].combo.values, *pipeline, base_request));
        acc[k].build_ms = build_ms;
      }
      return build_ms;
    };
    bool fresh_build = true;
    try {
      // each engine group starts with the device's memory as a fresh process would (not each
      // per_request rebuild: those are timed, and a process serving requests keeps its cache); the
      // previous group's engine and strategies (its graph pools) are gone by now
      release_cached_memory(device);
      const double ms = build();
      if (report)
        progress << "engine " << g + 1 << "/" << groups.size() << " [" << acc[0].combo.build_key << "] built in "
                 << std::fixed << std::setprecision(0) << ms << " ms for " << acc.size() << " combination(s)\n";
    } catch (const std::exception& e) {
      if (comm) throw;
      for (auto& a : acc) a.error = std::string("engine build failed: ") + e.what();
    }

    for (int64_t round = 0; round < warmup + reps && pipeline; ++round) {
      std::vector<size_t> order(acc.size());
      for (size_t k = 0; k < order.size(); ++k) order[k] = k;
      std::shuffle(order.begin(), order.end(), rng);
      for (size_t k : order) {
        Accumulator& a = acc[k];
        if (!a.error.empty()) continue;
        const bool timed = round >= warmup;
        try {
          double rebuild_ms = 0;  // per_request: every request pays build + install
          if (per_request && !fresh_build) {
            const auto t0 = Clock::now();
            build(k);
            rebuild_ms = ms_since(t0);
          } else if (per_request) {
            rebuild_ms = a.build_ms + a.installed->install_ms;
          }
          pipeline->seams() = a.installed->seams;
          GenerateRequest request = base_request;
          if (spec.workload.prompt_mode == "unique") request = make_request(spec.workload, world.size, unique_counter++);
          if (comm) {
            comm->barrier();  // every rank starts the repetition together
            comm->reset_stats();
          }
          reset_peak_memory(device);
          PhaseTimer timer(device);
          auto out = pipeline->generate(request, &timer);
          const auto timings = timer.finish();
          if (comm) comm->resolve();
          // ~~~ after the timed region ~~~
          double generate_ms = 0;
          std::map<std::string, double> phase_ms;
          for (const auto& t : timings) {
            if (t.phase == Phase::kGenerate) generate_ms = t.host_ms;
            else if (t.phase != Phase::kStep) phase_ms[t.label()] = t.device_ms >= 0 ? t.device_ms : t.host_ms;
          }
          nlohmann::json coll = nlohmann::json::object();
          if (comm) {
            const auto stats = comm->stats();
            for (size_t c = 0; c < stats.size(); ++c)
              if (stats[c].calls > 0 && static_cast<dist::Collective>(c) != dist::Collective::kBarrier)
                coll[dist::collective_name(static_cast<dist::Collective>(c))] = {
                    {"calls", stats[c].calls}, {"bytes", stats[c].bytes}, {"ms", stats[c].ms}};
          }
          const double peak = static_cast<double>(peak_memory(device).peak_bytes);
          std::vector<double> per_rank_ms{generate_ms + rebuild_ms}, per_rank_peak{peak};
          if (comm) {  // per-rank durations reduced to the max (what a user waits for)
            auto t = torch::tensor({generate_ms + rebuild_ms, peak}, torch::kDouble).to(device);
            auto all = comm->all_gather(t.view({1, 2}), 0).cpu();
            per_rank_ms.clear();
            per_rank_peak.clear();
            for (int64_t r = 0; r < all.size(0); ++r) {
              per_rank_ms.push_back(all[r][0].item<double>());
              per_rank_peak.push_back(all[r][1].item<double>());
            }
          }
          const double sample = *std::max_element(per_rank_ms.begin(), per_rank_ms.end());
          if (a.peak_per_rank.size() != per_rank_peak.size()) a.peak_per_rank.assign(per_rank_peak.size(), 0.0);
          for (size_t r = 0; r < per_rank_peak.size(); ++r)
            a.peak_per_rank[r] = std::max(a.peak_per_rank[r], per_rank_peak[r]);
          a.forwards = out.dit_forwards;
          a.syncs = reads_json(out.host_reads, out.dit_host_reads);
          if (fresh_build) a.cold_ms = sample;
          fresh_build = false;
          if (report) {
            auto video = video_to_uint8(out.video);
            const std::string md5 = tensor_md5(video);
            if (a.md5.empty()) {
              a.md5 = md5;
              a.chain = hash_chain(out.step_latents);
              // videos are kept only where the gate needs them (the reference, a mismatch's PSNR)
              if (a.combo.values.empty() || (reference.set && md5 != reference.md5)) a.video_u8 = video.cpu();
              if (a.combo.values.empty() && !reference.set) {
                reference.source = "this run's baseline combination";
                reference.md5 = md5;
                reference.chain = a.chain;
                reference.video_u8 = a.video_u8;
                reference.steps_per_chunk =
                    geometry.num_chunks ? static_cast<int64_t>(a.chain.size()) / geometry.num_chunks : 4;
                reference.set = true;
              }
            }
            a.md5_stable = a.md5_stable && md5 == a.md5;
          }
          if (timed) {
            a.samples.push_back(sample);
            a.generate_samples.push_back(generate_ms);
            for (const auto& [label, ms] : phase_ms) a.phases[label].push_back(ms);
            for (const auto& [name, c] : coll.items()) {
              auto& s = a.collectives[name];
              s[0] += c["calls"].get<double>();
              s[1] += c["bytes"].get<double>();
              s[2] += c["ms"].get<double>();
            }
            ++a.timed_runs;
          }
          ++runs_done;
          if (report) {
            const double elapsed = ms_since(run_begin) / 1000.0;
            const double eta = runs_done ? elapsed / runs_done * (total_runs - runs_done) : 0;
            progress << "[" << runs_done << "/" << total_runs << "] " << a.combo.id << " "
                     << (timed ? "rep " + std::to_string(round - warmup + 1) : "warmup " + std::to_string(round + 1))
                     << ": " << std::fixed << std::setprecision(1) << sample << " ms  elapsed "
                     << fmt_duration(elapsed) << "  ETA " << fmt_duration(eta) << std::endl;
          }
        } catch (const UsageError&) {
          throw;
        } catch (const std::exception& e) {
          if (comm) throw;  // the other ranks cannot go on alone; the launcher ends them
          a.error = e.what();
          runs_done += warmup + reps - round - 1;
          progress << "error in " << a.combo.id << ": " << e.what() << "\n";
        }
      }
    }

    // CUDA's own sync count, in one extra untimed generate() per combination
    if (options.audit_syncs && device.is_cuda() && pipeline) {
      for (auto& a : acc) {
        if (!a.error.empty()) continue;
        pipeline->seams() = a.installed->seams;
        a.cuda_syncs = count_cuda_syncs([&] { pipeline->generate(base_request); });
      }
    }

    // records: the gate, statistics, validity
    if (report) {
      std::stable_sort(acc.begin(), acc.end(),
                       [](const Accumulator& x, const Accumulator& y) { return x.combo.values.empty() > y.combo.values.empty(); });
      for (auto& a : acc) {
        auto r = base_record(a.combo);
        if (!a.error.empty() || a.samples.empty()) {
          r["status"] = "error";
          r["reason"] = a.error.empty() ? "no timed samples" : a.error;
          ++result.errors;
          if (ledger) ledger->write(r);
          result.records.push_back(r);
          continue;
        }
        r["status"] = "ok";
        r["samples_ms"] = a.samples;
        if (per_request) r["generate_samples_ms"] = a.generate_samples;
        r["cold_ms"] = a.cold_ms ? nlohmann::json(*a.cold_ms) : nlohmann::json(nullptr);
        r["build_ms"] = a.build_ms;
        r["install_ms"] = a.installed->install_ms;
        stats::BootstrapOptions bo;
        bo.seed = spec.order_seed;
        const auto ci = stats::bootstrap_median_ci(a.samples, bo);
        r["stats"] = {{"median", stats::median(a.samples)}, {"mean", stats::mean(a.samples)},
                      {"stddev", stats::stddev(a.samples)},  {"cv", stats::cv(a.samples)},
                      {"min", *std::min_element(a.samples.begin(), a.samples.end())},
                      {"max", *std::max_element(a.samples.begin(), a.samples.end())},
                      {"ci_low", ci.lo}, {"ci_high", ci.hi}};
        nlohmann::json phases = nlohmann::json::object();
        for (const auto& [label, v] : a.phases) phases[label] = stats::median(v);
        r["phases_ms"] = phases;
        nlohmann::json coll = nlohmann::json::object();
        double nccl_ms = 0;
        for (const auto& [name, s] : a.collectives) {
          coll[name] = {{"calls", static_cast<int64_t>(std::llround(s[0] / a.timed_runs))},
                        {"bytes", static_cast<int64_t>(std::llround(s[1] / a.timed_runs))},
                        {"ms", s[2] / a.timed_runs}};
          nccl_ms += s[2] / a.timed_runs;
        }
        r["collectives"] = collective_table(coll, world.size);
        r["nccl_ms"] = nccl_ms;
        r["syncs"] = a.syncs;
        r["syncs"]["cuda_sync_debug"] = a.cuda_syncs >= 0 ? nlohmann::json(a.cuda_syncs) : nlohmann::json(nullptr);
        std::vector<int64_t> peaks;
        for (double p : a.peak_per_rank) peaks.push_back(static_cast<int64_t>(p));
        r["peak_memory_bytes"] = peaks;
        r["dit_forwards"] = a.forwards;
        r["md5"] = a.md5;
        r["md5_stable"] = a.md5_stable;
        r["hash_chain_head"] = a.chain.empty() ? "" : a.chain.back();
        r["counters"] = a.installed->counters();
        // the gate
        stats::ResultFlags flags;
        if (reference.set) {
          r["reference"] = reference.source;
          const bool same = a.md5 == reference.md5;
          r["md5_ok"] = same;
          if (!same) {
            const auto div = reference.chain.empty()
                                 ? std::nullopt  // (a resumed run knows only the baseline's MD5)
                                 : first_divergence(reference.chain, a.chain, reference.steps_per_chunk);
            r["first_divergence"] =
                div ? nlohmann::json{{"chunk", div->first}, {"step", div->second}} : nlohmann::json(nullptr);
            if (reference.video_u8.defined() && a.video_u8.defined() && reference.video_u8.sizes() == a.video_u8.sizes()) {
              const auto d = video_distance(reference.video_u8, a.video_u8);
              r["psnr_db"] = std::isinf(d.psnr_db) ? nlohmann::json("inf") : nlohmann::json(d.psnr_db);
              r["max_abs_u8"] = d.max_abs;
              if (a.combo.tier == opt::Tier::kB) {
                const auto [min_psnr, max_abs] = tier_b_bound(a.combo.values);
                const bool within = d.psnr_db >= min_psnr && d.max_abs <= max_abs;
                r["bound"] = {{"min_psnr_db", min_psnr}, {"max_abs_u8", max_abs}, {"within", within}};
                if (!within) ++result.tier_b_out_of_bound, flags.md5_gate_failed = true;
              }
            }
            if (a.combo.tier == opt::Tier::kA) ++result.tier_a_mismatches, flags.md5_gate_failed = true;
          }
        } else {
          r["md5_ok"] = nullptr;
        }
        flags.rank_error = !a.md5_stable;
        const auto validity = stats::check_validity(a.samples, flags);
        r["validity"] = stats::validity_name(validity.status);
        r["invalid_reasons"] = validity.reasons;
        if (!a.md5_stable) r["invalid_reasons"].push_back("output MD5 changed between repetitions");
        r["warnings"] = validity.warnings;
        if (options.keep_video && a.combo.values.empty()) {
          result.baseline_video = a.video_u8;
          result.baseline_chain = a.chain;
          result.steps_per_chunk = reference.steps_per_chunk;
        }
        if (ledger) ledger->write(r);
        result.records.push_back(r);
      }
    }
    pipeline.reset();  // frees the engine before the next one is built
  }
  if (comm) comm->barrier();
  return result;
}

}  // namespace ablate
