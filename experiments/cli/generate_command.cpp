#include "experiments/cli/generate_command.h"

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
#include "experiments/cli/pipeline_setup.h"
#include "experiments/common/run_environment.h"
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
  add_pipeline_flags(cmd, o);
  cmd->add_option("--runs", o.runs, "generate() calls on the one built pipeline; the first is cold")->capture_default_str();
  cmd->add_option("--json", o.json_path, "Write the full result as JSON to this file");
  cmd->add_option("--save-latents", o.save_latents, "Save rank 0's denoised latents (torch::save) to this file");
  cmd->add_option("--debug-crash-rank", o.debug_crash_rank)->group("");
  cmd->add_option("--debug-crash-after-forwards", o.debug_crash_after_forwards)->group("");
  return cmd;
}

namespace {

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

}  // namespace

int run_generate_command(const GenerateCommandOptions& o) {
  // validate everything before any work
  PipelineSetup setup = prepare_pipeline(o);
  const PipelineOptions& popts = setup.options;
  const dist::WorldInfo& world = setup.world;
  const GenerateRequest& request = setup.request;
  const VideoGeometry& geometry = setup.geometry;
  const opt::RunConfig& run_config = setup.run_config;
  const auto& strategies = setup.strategies;
  connect_ranks(setup, o.collective_timeout_s);
  dist::Communicator* comm = setup.comm.get();
  const bool report = world.rank == 0;
  std::ostringstream sink;
  std::ostream& out_stream = report ? std::cout : sink;  // other ranks print only their own lines
  out_stream << "ablate generate: preset " << popts.model.name << " on " << popts.device.str() << " ("
            << popts.precision.name() << "), LibTorch " << compat::torch_version() << "\n"
            << "geometry: " << geometry.describe() << "\n";

  reset_peak_memory(popts.device);
  const auto build_begin = std::chrono::steady_clock::now();
  auto pipeline = build_pipeline(setup);
  if (o.debug_crash_rank == world.rank && o.debug_crash_after_forwards >= 0) {
    pipeline->seams().forward_hints = [n = o.debug_crash_after_forwards](dit::ForwardArgs&, const ForwardSite& site) {
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
    auto out = pipeline->generate(request, &timer);
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
