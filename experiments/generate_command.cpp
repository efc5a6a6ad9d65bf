#include "experiments/generate_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <signal.h>
#include <unistd.h>

#include "core/compat.h"
#include "core/config.h"
#include "core/dist/communicator.h"
#include "core/dist/world.h"
#include "core/cuda_device.h"
#include "core/error.h"
#include "core/pipeline.h"
#include "core/video_hash.h"
#include "experiments/run_environment.h"
#include "optimizations/registry.h"
#include "profiling/memory_stats.h"
#include "profiling/phase_timer.h"

namespace ablate {
namespace {

std::string fmt_ms(double ms) {
  std::ostringstream os;
  os << std::fixed << std::setprecision(1) << ms;
  return os.str();
}

// Fails before any work when the JSON output cannot be written.
void check_writable(const std::string& path) {
  if (path.empty()) return;
  namespace fs = std::filesystem;
  const fs::path parent = fs::absolute(fs::path(path)).parent_path();
  ABLATE_USAGE_CHECK(fs::is_directory(parent), "--json ", path, ": folder ", parent.string(), " does not exist");
  const fs::path probe = parent / (".ablate-write-probe-" + std::to_string(::getpid()));
  std::ofstream f(probe);
  ABLATE_USAGE_CHECK(f.good(), "--json ", path, ": folder ", parent.string(), " is not writable");
  f.close();
  fs::remove(probe);
}

// Writes `j` to `path` through a temporary file and a rename, so a failure leaves nothing half-written.
void write_json_atomically(const std::string& path, const nlohmann::json& j) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    TORCH_CHECK(f.good(), "cannot write ", tmp);
    f << j.dump(2) << "\n";
    TORCH_CHECK(f.good(), "write to ", tmp, " failed");
  }
  std::filesystem::rename(tmp, path);
}

nlohmann::json reads_json(const HostReadStats& s) {
  nlohmann::json j;
  for (size_t i = 0; i < s.by_site.size(); ++i) j[host_read_site_name(static_cast<HostReadSite>(i))] = s.by_site[i];
  j["syncs"] = s.syncs();
  j["total"] = s.total();
  j["cuda_reads"] = s.device_reads;
  return j;
}

}  // namespace

CLI::App* add_generate_command(CLI::App& app, GenerateCommandOptions& o) {
  auto* cmd = app.add_subcommand("generate", "Build the core pipeline and time generate() on one device.");
  cmd->add_option("--preset", o.preset, "Model preset: tiny, 1.3b, 14b")->capture_default_str();
  cmd->add_option("--device", o.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--size", o.size, "Max-area size H*W as the reference's --size (default: the preset's)");
  cmd->add_option("--height", o.height, "Exact pixel height (multiple of 16), with --width");
  cmd->add_option("--width", o.width, "Exact pixel width (multiple of 16), with --height");
  cmd->add_option("--frames", o.frames, "Pixel frames, 4n+1")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Noise seed")->capture_default_str();
  cmd->add_option("--weight-seed", o.weight_seed, "Seed of the synthetic weights")->capture_default_str();
  cmd->add_option("--prompt", o.prompt, "Text prompt (default: a built-in one)");
  cmd->add_option("--dtype", o.dtype, "fp32 or bf16 (default: fp32 on cpu, bf16 on cuda)");
  cmd->add_option("--runs", o.runs, "generate() calls on the one built pipeline; the first is cold")->capture_default_str();
  cmd->add_option("--local-attn-size", o.local_attn_size, "Sliding KV window in latent frames (-1: global)")->capture_default_str();
  cmd->add_option("--sink-size", o.sink_size, "Latent frames never evicted from the window")->capture_default_str();
  cmd->add_flag("--offload-text-encoder", o.offload_text_encoder,
                "Keep the text encoder in host memory between encodes (the reference's offload_model on one GPU)");
  cmd->add_option("--json", o.json_path, "Write the full result as JSON to this file");
  cmd->add_option("--set", o.strategies, "Turn a strategy on: name=value (repeatable; `ablate list` shows them)");
  cmd->add_option("--save-latents", o.save_latents, "Save rank 0's denoised latents (torch::save) to this file");
  cmd->add_option("--world-size", o.world_size, "Expected world size (checked against WORLD_SIZE)");
  cmd->add_option("--shard", o.shard, "Parameter residency when sharded: full, grad_op, none")->capture_default_str();
  cmd->add_flag("--prefetch-gathers", o.prefetch_gathers, "Start the next unit's parameter all-gather early");
  cmd->add_option("--collective-timeout", o.collective_timeout_s, "Seconds a collective may wait for the others")
      ->capture_default_str();
  cmd->add_option("--debug-crash-rank", o.debug_crash_rank)->group("");
  cmd->add_option("--debug-crash-after-forwards", o.debug_crash_after_forwards)->group("");
  return cmd;
}

namespace {

dist::Residency parse_residency(const std::string& s) {
  if (s == "full") return dist::Residency::kFullShard;
  if (s == "grad_op") return dist::Residency::kKeepGathered;
  if (s == "none") return dist::Residency::kReplicated;
  throw UsageError("--shard: unknown value '" + s + "'; valid values: full, grad_op, none");
}

nlohmann::json collectives_json(const dist::Communicator& comm, int64_t forwards) {
  nlohmann::json j = nlohmann::json::object();
  const auto stats = comm.stats();
  for (size_t i = 0; i < stats.size(); ++i) {
    const auto& s = stats[i];
    if (s.calls == 0) continue;
    j[dist::collective_name(static_cast<dist::Collective>(i))] = {
        {"calls", s.calls}, {"bytes", s.bytes}, {"ms", s.ms},
        {"calls_per_forward", forwards ? static_cast<double>(s.calls) / static_cast<double>(forwards) : 0.0}};
  }
  return j;
}

// Parses --set name=value into the run's strategy values; UsageError naming what is valid.
std::map<std::string, std::string> parse_strategies(const std::vector<std::string>& sets) {
  std::map<std::string, std::string> values;
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    ABLATE_USAGE_CHECK(eq != std::string::npos && eq > 0, "--set ", s, ": expected name=value, e.g. sync_elim=on");
    const std::string name = s.substr(0, eq), value = s.substr(eq + 1);
    const auto info = opt::strategy_info(name);  // UsageError for an unknown name
    bool known = false;
    std::string valid;
    for (const auto& v : info.values) {
      known = known || v == value;
      valid += (valid.empty() ? "" : ", ") + v;
    }
    ABLATE_USAGE_CHECK(known, "--set ", s, ": strategy ", name, " takes values ", valid);
    values[name] = value;
  }
  return values;
}

}  // namespace

int run_generate_command(const GenerateCommandOptions& o) {
  // validate everything before any work
  PipelineOptions popts;
  popts.model = preset(o.preset);
  dist::WorldInfo world;
  const bool distributed = dist::launched_by_launcher();
  if (distributed) world = dist::world_from_env();
  ABLATE_USAGE_CHECK(o.world_size == 0 || (distributed && o.world_size == world.size), "--world-size ",
                     o.world_size, " does not match the environment (",
                     distributed ? "WORLD_SIZE=" + std::to_string(world.size) : std::string("no WORLD_SIZE set"),
                     "); start ", o.world_size, " ranks with `ablate launch --nproc ", o.world_size,
                     " -- generate ...` or torchrun");
  popts.residency = parse_residency(o.shard);
  popts.prefetch_gathers = o.prefetch_gathers;
  ABLATE_USAGE_CHECK(o.collective_timeout_s > 0, "--collective-timeout: expected seconds > 0, got ",
                     o.collective_timeout_s);
  popts.device = parse_device(o.device);
  if (distributed && popts.device.is_cuda()) popts.device = torch::Device(torch::kCUDA, world.local_rank);
  use_device(popts.device);
  ABLATE_USAGE_CHECK(popts.model.dit.num_heads() % world.size == 0, "world size ", world.size,
                     " does not divide the ", popts.model.dit.num_heads(), " attention heads of preset ",
                     popts.model.name, " (sequence parallel splits heads across ranks); valid world sizes divide ",
                     popts.model.dit.num_heads());
  popts.precision = Precision::for_name(o.dtype.empty() ? (popts.device.is_cuda() ? "bf16" : "fp32") : o.dtype);
  popts.weight_seed = static_cast<uint64_t>(o.weight_seed);
  popts.local_attn_size = o.local_attn_size;
  popts.sink_size = o.sink_size;
  popts.offload_text_encoder = o.offload_text_encoder;
  ABLATE_USAGE_CHECK(o.runs >= 1, "--runs: expected at least 1, got ", o.runs);
  ABLATE_USAGE_CHECK(o.seed >= 0, "--seed: expected a non-negative seed, got ", o.seed);
  ABLATE_USAGE_CHECK(!(!o.size.empty() && (o.height > 0 || o.width > 0)), "--size ", o.size,
                     " and --height/--width are exclusive; give one of them");
  GenerateRequest request;
  if (!o.prompt.empty()) request.prompt = o.prompt;
  request.seed = static_cast<uint64_t>(o.seed);
  request.geometry.size = o.size.empty() && o.height == 0 && o.width == 0 ? popts.model.default_size : o.size;
  request.geometry.height = o.height;
  request.geometry.width = o.width;
  request.geometry.frames = o.frames;
  request.geometry.local_attn_size = o.local_attn_size;
  request.geometry.sink_size = o.sink_size;
  request.geometry.world_size = world.size;
  const VideoGeometry geometry = compute_geometry(request.geometry);
  if (world.rank == 0) check_writable(o.json_path);
  opt::RunConfig run_config;
  run_config.values = parse_strategies(o.strategies);
  run_config.device = popts.device;
  run_config.world_size = world.size;
  std::vector<std::pair<std::string, std::unique_ptr<opt::Strategy>>> strategies;
  for (const auto& [name, value] : run_config.values) {
    auto s = opt::make_strategy(name);
    const std::string reason = s->validate(value, run_config);
    ABLATE_USAGE_CHECK(reason.empty(), "--set ", name, "=", value, " cannot run here: ", reason);
    s->configure(value, popts);
    strategies.emplace_back(name, std::move(s));
  }
  configure_determinism();

  std::unique_ptr<dist::Communicator> comm;
  if (distributed && world.size > 1) {
    comm = std::make_unique<dist::Communicator>(
        world, popts.device, std::chrono::milliseconds(static_cast<int64_t>(o.collective_timeout_s * 1000)));
    popts.comm = comm.get();
  }
  const bool report = world.rank == 0;
  std::ostringstream sink;
  std::ostream& out_stream = report ? std::cout : sink;  // other ranks print only their own lines
  out_stream << "ablate generate: preset " << popts.model.name << " on " << popts.device.str() << " ("
            << popts.precision.name() << "), LibTorch " << compat::torch_version() << "\n"
            << "geometry: " << geometry.describe() << "\n";

  reset_peak_memory(popts.device);
  const auto build_begin = std::chrono::steady_clock::now();
  Pipeline pipeline(popts);
  opt::InstallContext install_ctx{request};
  for (auto& [name, s] : strategies) s->install(run_config.values.at(name), pipeline, install_ctx);
  if (o.debug_crash_rank == world.rank && o.debug_crash_after_forwards >= 0) {
    pipeline.seams().forward_hints = [n = o.debug_crash_after_forwards](dit::ForwardArgs&, const ForwardSite& site) {
      if (site.forward_index == n) ::raise(SIGKILL);
    };
  }
  const double build_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - build_begin).count();
  out_stream << "build: " << fmt_ms(build_ms) << " ms (weights seeded with " << o.weight_seed << ")\n";

  nlohmann::json result;
  result["command"] = "generate";
  result["preset"] = popts.model.name;
  result["dtype"] = popts.precision.name();
  result["seed"] = o.seed;
  result["weight_seed"] = o.weight_seed;
  result["prompt"] = request.prompt;
  result["environment"] = environment_json(popts.device);
  result["geometry"] = {{"height", geometry.height}, {"width", geometry.width}, {"frames", geometry.frames},
                        {"lat_f", geometry.lat_f}, {"lat_h", geometry.lat_h}, {"lat_w", geometry.lat_w},
                        {"frame_seqlen", geometry.frame_seqlen}, {"chunks", geometry.num_chunks},
                        {"tokens_per_chunk", geometry.tokens_per_chunk}, {"kv_size", geometry.kv_size},
                        {"forwards", geometry.forwards_per_generate}};
  result["build_ms"] = build_ms;
  result["offload_text_encoder"] = o.offload_text_encoder;
  result["world_size"] = world.size;
  result["shard"] = dist::residency_name(popts.residency);
  result["strategies"] = run_config.values;

  std::string first_md5;
  bool md5_stable = true;
  for (int64_t run = 0; run < o.runs; ++run) {
    if (comm) {
      comm->barrier();  // every rank starts the repetition together
      comm->reset_stats();
    }
    reset_peak_memory(popts.device);
    PhaseTimer timer(popts.device);
    auto out = pipeline.generate(request, &timer);
    const auto timings = timer.finish();
    if (comm) comm->resolve();
    // hashing happens after the timed region
    std::cout << "rank " << world.rank << " latents md5 " << tensor_md5(out.latents) << "\n";
    if (!report) continue;
    if (!o.save_latents.empty()) torch::save(out.latents.cpu(), o.save_latents);
    const auto video = video_to_uint8(out.video);
    const std::string md5 = tensor_md5(video);
    const auto chain = hash_chain(out.step_latents);
    if (run == 0) first_md5 = md5;
    md5_stable = md5_stable && md5 == first_md5;

    nlohmann::json r;
    r["kind"] = run == 0 ? "cold" : "warm";
    nlohmann::json phases = nlohmann::json::object();
    std::ostringstream line;
    line << "run " << run + 1 << " (" << r["kind"].get<std::string>() << "):";
    for (const auto& t : timings) {
      const double ms = t.device_ms >= 0 && t.phase != Phase::kGenerate ? t.device_ms : t.host_ms;
      phases[t.label()] = {{"host_ms", t.host_ms}, {"device_ms", t.device_ms}};
      if (t.phase == Phase::kGenerate) {
        r["generate_ms"] = t.host_ms;
        line << " generate " << fmt_ms(t.host_ms) << " ms |";
      } else {
        line << " " << t.label() << " " << fmt_ms(ms);
      }
    }
    r["phases"] = phases;
    r["md5"] = md5;
    r["hash_chain"] = chain;
    r["host_reads"] = reads_json(out.host_reads);
    r["dit_host_reads"] = reads_json(out.dit_host_reads);
    r["dit_forwards"] = out.dit_forwards;
    r["latents_md5"] = tensor_md5(out.latents);
    if (comm) r["collectives"] = collectives_json(*comm, out.dit_forwards);
    result["runs"].push_back(r);
    std::cout << line.str() << "\n";
    if (run == 0) {
      const int64_t blocks = popts.model.dit.num_layers();
      std::cout << "host reads per generate: " << out.host_reads.syncs() << " device reads (DiT "
                << out.dit_host_reads.syncs() << " = " << (out.dit_forwards ? out.dit_host_reads.syncs() / (blocks * out.dit_forwards) : 0)
                << " x " << blocks << " blocks x " << out.dit_forwards << " forwards; sampler "
                << out.host_reads.of(HostReadSite::kSamplerSigma) + out.host_reads.of(HostReadSite::kSamplerNoiseIndex)
                << "; text " << out.host_reads.of(HostReadSite::kTextLength) << "), "
                << out.host_reads.total() - out.host_reads.syncs() << " host-metadata reads\n";
    }
    if (comm) {
      std::cout << "collectives (rank 0):";
      for (const auto& [name, c] : r["collectives"].items())
        std::cout << " " << name << " " << c["calls"].get<int64_t>() << " calls / "
                  << fmt_ms(static_cast<double>(c["bytes"].get<int64_t>()) / (1 << 20)) << " MiB / "
                  << fmt_ms(c["ms"].get<double>()) << " ms;";
      std::cout << "\n";
    }
  }
  const auto mem = peak_memory(popts.device);
  std::cout << "rank " << world.rank << " peak memory " << mem.peak_bytes << " bytes\n";
  if (comm) comm->barrier();
  if (!report) return 0;
  result["peak_memory"] = {{"bytes", mem.peak_bytes}, {"kind", mem.kind}};
  result["md5"] = first_md5;
  for (const auto& [name, s] : strategies) result["strategy_counters"][name] = s->counters();
  result["md5_stable_across_runs"] = md5_stable;
  std::cout << "peak memory: " << fmt_ms(static_cast<double>(mem.peak_bytes) / (1024.0 * 1024.0)) << " MiB ("
            << mem.kind << ")\n"
            << "md5: " << first_md5 << (md5_stable ? "" : "  (WARNING: differs between runs)") << "\n";
  if (!o.json_path.empty()) {
    write_json_atomically(o.json_path, result);
    std::cout << "wrote " << o.json_path << "\n";
  }
  return md5_stable ? 0 : 1;
}

}  // namespace ablate
