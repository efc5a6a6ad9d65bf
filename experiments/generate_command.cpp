#include "experiments/generate_command.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unistd.h>

#include "core/compat.h"
#include "core/config.h"
#include "core/error.h"
#include "core/pipeline.h"
#include "core/video_hash.h"
#include "experiments/run_environment.h"
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
  return cmd;
}

int run_generate_command(const GenerateCommandOptions& o) {
  // validate everything before any work
  PipelineOptions popts;
  popts.model = preset(o.preset);
  popts.device = parse_device(o.device);
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
  const VideoGeometry geometry = compute_geometry(request.geometry);
  check_writable(o.json_path);
  configure_determinism();

  std::cout << "ablate generate: preset " << popts.model.name << " on " << popts.device.str() << " ("
            << popts.precision.name() << "), LibTorch " << compat::torch_version() << "\n"
            << "geometry: " << geometry.describe() << "\n";

  reset_peak_memory(popts.device);
  const auto build_begin = std::chrono::steady_clock::now();
  Pipeline pipeline(popts);
  const double build_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - build_begin).count();
  std::cout << "build: " << fmt_ms(build_ms) << " ms (weights seeded with " << o.weight_seed << ")\n";

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

  std::string first_md5;
  bool md5_stable = true;
  for (int64_t run = 0; run < o.runs; ++run) {
    PhaseTimer timer(popts.device);
    auto out = pipeline.generate(request, &timer);
    const auto timings = timer.finish();
    // hashing happens after the timed region
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
  }
  const auto mem = peak_memory(popts.device);
  result["peak_memory"] = {{"bytes", mem.peak_bytes}, {"kind", mem.kind}};
  result["md5"] = first_md5;
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
