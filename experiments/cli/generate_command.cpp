#include "experiments/cli/generate_command.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <map>
#include <sstream>
#include <utility>

#include "core/compat.h"
#include "core/error.h"
#include "core/io/contact_sheet.h"
#include "core/io/png_file.h"
#include "core/io/token_ids_file.h"
#include "core/io/video_file.h"
#include "core/memory_estimate.h"
#include "core/video_hash.h"
#include "experiments/common/number_text.h"
#include "experiments/common/operation_context.h"
#include "experiments/common/output_folder.h"
#include "experiments/common/run_environment.h"
#include "experiments/cli/intermediates.h"
#include "experiments/cli/stage_hashes.h"
#include "experiments/runner/measure.h"
#include "profiling/memory_stats.h"

namespace ablate {

CLI::App* add_generate_command(CLI::App& app, GenerateCommandOptions& o) {
  auto* cmd = app.add_subcommand("generate", "Build the core pipeline and time generate() on one device.");
  add_pipeline_flags(cmd, o.pipeline);
  cmd->add_option("--prompt-mode", o.pipeline.workload.prompt_mode,
                  "repeat: every run the same request | unique: a cycle of distinct requests")
      ->capture_default_str();
  cmd->add_option("--request-cycle", o.pipeline.workload.request_cycle, "Requests per cycle (unique)")
      ->capture_default_str()
      ->check(integer_in(1, 1000));
  cmd->add_option("--batch", o.pipeline.workload.batch,
                  "Requests in one batched generate() (request b: seed + b; unique: the next in the cycle)")
      ->capture_default_str()
      ->check(integer_in(1, kMaxBatch));
  cmd->add_option("--runs", o.runs, "generate() calls on the one built pipeline; the first is cold")
      ->capture_default_str()
      ->check(integer_in(1, 100000));
  cmd->add_option("--json", o.json_path, "Write the full result as JSON to this file");
  cmd->add_flag("--no-phase-timers", o.no_phase_timers,
                "Time only generate() as a whole, without per-phase CUDA events (to measure what they cost)");
  cmd->add_flag("--no-gpu-clocks", o.no_gpu_clocks,
                "Do not sample the GPU's clocks through NVML during generate() (to measure what the sampling costs)");
  cmd->add_option("--save-latents", o.save_latents, "Save rank 0's denoised latents (torch::save) to this file");
  cmd->add_option("--save-video", o.save_video, "Write the last run's video to this .mp4 (H.264, 16 fps)");
  cmd->add_option("--save-contact-sheet", o.save_contact_sheet, "Write every 8th frame of the last run's video to this .png");
  cmd->add_option("--token-ids", o.token_ids,
                  "The prompt's token ids (.npy [L] int32/int64, eos included) instead of tokenizing it");
  cmd->add_option("--noise", o.noise_dir,
                  "Every noise draw from this folder (noise_initial.npy, noise_c<c>_s<s>.npy) instead of the seed");
  cmd->add_option("--dump-intermediates", o.dump_dir,
                  "Write the last run's text embedding, first-frame latent, DiT outputs, x0 and noise of every "
                  "step, latents and video as .npy files to this folder");
  cmd->add_option("--debug-crash-rank", o.debug_crash_rank)->group("")->check(integer_in(-1, 65535));
  cmd->add_option("--debug-crash-after-forwards", o.debug_crash_after_forwards)->group("")->check(integer_in(-1, 1000000));
  cmd->add_option("--debug-stall-rank", o.debug_stall_rank)->group("")->check(integer_in(-1, 1000000));
  cmd->add_option("--debug-stall-at", o.debug_stall_at)->group("")->check(integer_in(-1, 1000000));
  return cmd;
}

namespace {

// Videos per second of one measured generate() (a batch: all its requests).
double videos_per_second(const Measurement& m) {
  return m.sample_ms > 0 ? 1000.0 * static_cast<double>(m.outputs.size()) / m.sample_ms : 0.0;
}

// Fails before any work when an output file cannot be written.
void check_writable(const std::string& flag, const std::string& path) {
  if (path.empty()) return;
  namespace fs = std::filesystem;
  const fs::path parent = fs::absolute(fs::path(path)).parent_path();
  ABLATE_USAGE_CHECK(fs::is_directory(parent), flag, " ", path, ": folder ", parent.string(), " does not exist");
  const fs::path probe = parent / (".ablate-write-probe-" + std::to_string(::getpid()));
  std::ofstream f(probe);
  ABLATE_USAGE_CHECK(f.good(), flag, " ", path, ": folder ", parent.string(), " is not writable");
  f.close();
  fs::remove(probe);
}

void check_outputs(const GenerateCommandOptions& o) {
  check_writable("--json", o.json_path);
  check_writable("--save-latents", o.save_latents);
  check_writable("--save-video", o.save_video);
  check_writable("--save-contact-sheet", o.save_contact_sheet);
  ABLATE_USAGE_CHECK(o.save_video.empty() || io::video_io_available(), "--save-video ", o.save_video,
                     ": this build has no FFmpeg libraries (libavcodec, libavformat, libswscale); install them and "
                     "rebuild, or drop the flag");
  ABLATE_USAGE_CHECK(o.save_contact_sheet.empty() || io::png_available(), "--save-contact-sheet ",
                     o.save_contact_sheet, ": this build has no libpng; install libpng-dev and rebuild, or drop the flag");
  if (!o.dump_dir.empty()) prepare_output_folder(o.dump_dir, "--dump-intermediates");
}

// --token-ids: the file is read before any work (exit 2 naming it) and replaces the tokenizer of
// every engine built.
void install_token_ids(const GenerateCommandOptions& o, const text::TokenizedPrompt& tokens, PipelineSetup& s) {
  if (o.token_ids.empty()) return;
  const int64_t vocab = tokens.ids.max().item<int64_t>() + 1;
  s.engine->pipeline().text_encoder().set_tokenizer([tokens](const std::string&) { return tokens; }, vocab);
}

// Gives run `run`'s request the cross-check's noise source and (last run, rank 0) the dump.
void attach_cross_check(const GenerateCommandOptions& o, int rank, int64_t run, GenerateRequest& request) {
  if (!o.noise_dir.empty()) request.noise = noise_from_folder(o.noise_dir);
  if (!o.dump_dir.empty() && rank == 0 && run + 1 == o.runs) request.observe = dump_to_folder(o.dump_dir);
}

// The last run's outputs (rank 0).
void save_outputs(const GenerateCommandOptions& o, const Measurement& m, std::ostream& out) {
  if (!o.save_latents.empty()) torch::save(m.output.latents.cpu(), o.save_latents);
  if (!o.save_video.empty()) {
    const auto info = io::save_video(o.save_video, m.output.video);
    out << "wrote " << o.save_video << " (" << info.frames << " frames, " << info.encoder << ")\n";
  }
  if (!o.save_contact_sheet.empty()) {
    io::save_contact_sheet(o.save_contact_sheet, m.output.video);
    out << "wrote " << o.save_contact_sheet << "\n";
  }
}

nlohmann::json reads_json(const HostReadStats& s) {
  nlohmann::json j;
  for (size_t i = 0; i < s.by_site.size(); ++i) j[host_read_site_name(static_cast<HostReadSite>(i))] = s.by_site[i];
  j["syncs"] = s.syncs();
  j["total"] = s.total();
  j["cuda_reads"] = s.device_reads;
  return j;
}

nlohmann::json collectives_json(const Measurement& m) {
  nlohmann::json j = nlohmann::json::object();
  const auto forwards = static_cast<double>(std::max<int64_t>(m.output.dit_forwards, 1));
  for (const auto& [name, c] : m.collectives)
    j[name] = {{"calls", c.calls}, {"bytes", c.bytes}, {"ms", c.ms}, {"calls_per_forward", static_cast<double>(c.calls) / forwards}};
  return j;
}

// This run's JSON and its console line (rank 0).
nlohmann::json run_json(const Measurement& m, int64_t run, const std::string& md5, std::ostream& out) {
  nlohmann::json r;
  r["kind"] = run == 0 ? "cold" : "warm";
  r["generate_ms"] = m.generate_ms;
  r["instrumentation"] = {{"ranges", m.ranges}, {"timed_phases", m.timed_phases}};
  r["sample_ms"] = m.sample_ms;
  r["phases"] = m.phase_ms;
  r["latency_ms"] = m.latency_ms;
  if (m.outside_phases_ms >= 0) r["outside_phases_ms"] = m.outside_phases_ms;
  r["md5"] = md5;
  r["hash_chain"] = hash_chain(m.output.step_latents);
  r["host_reads"] = reads_json(m.output.host_reads);
  r["dit_host_reads"] = reads_json(m.output.dit_host_reads);
  r["dit_forwards"] = m.output.dit_forwards;
  r["latents_md5"] = m.rank_latent_md5s.front();
  r["rank_latent_md5s"] = m.rank_latent_md5s;
  if (!m.collectives.empty()) r["collectives"] = collectives_json(m);
  if (m.gpu_clocks) r["gpu_clocks"] = m.gpu_clocks->to_json();
  out << "run " << run + 1 << " (" << r["kind"].get<std::string>() << "): generate " << fixed_text(m.sample_ms) << " ms |";
  for (const auto& [label, ms] : m.phase_ms) out << " " << label << " " << fixed_text(ms);
  // host work and waits between phases (a side stream's phase counts as running)
  if (m.outside_phases_ms >= 0) out << " | outside phases " << fixed_text(m.outside_phases_ms);
  if (m.gpu_clocks && m.gpu_clocks->clock_samples > 0) {
    out << " | SM clock " << fixed_text(m.gpu_clocks->sm_mhz_min, 0) << "-" << fixed_text(m.gpu_clocks->sm_mhz_max, 0) << " MHz";
    for (const auto& [reason, share] : m.gpu_clocks->reason_share)
      out << " " << reason << " " << fixed_text(100.0 * share, 0) << " %";
  }
  out << "\n";
  return r;
}

// Each distinct request's video MD5 (a request: its place b in the batch and in the cycle), in the
// order first seen, and whether every later run of it gave the same.
class RequestMd5s {
 public:
  RequestMd5s(int64_t batch, int64_t cycle) : batch_(batch), cycle_(cycle) {}
  // Run `run`'s MD5s in request order, each compared with its first occurrence.
  std::vector<std::string> add(const Measurement& m, int64_t run) {
    std::vector<std::string> md5s;
    for (int64_t b = 0; b < batch_; ++b) {
      md5s.push_back(tensor_md5(video_to_uint8(m.outputs[static_cast<size_t>(b)].video)));
      const auto key = std::make_pair(b, (run * batch_ + b) % cycle_);
      if (!slot_.count(key)) {
        slot_[key] = all_.size();
        all_.push_back(md5s.back());
      }
      stable_ = stable_ && all_[slot_[key]] == md5s.back();
    }
    return md5s;
  }
  const std::vector<std::string>& all() const { return all_; }
  bool stable() const { return stable_; }

 private:
  int64_t batch_, cycle_;
  std::vector<std::string> all_;
  std::map<std::pair<int64_t, int64_t>, size_t> slot_;
  bool stable_ = true;
};

// A batch's requests (rank 0): each one's seed, MD5, hash chain and latency; the batch's throughput.
nlohmann::json batch_json(const Measurement& m, const std::vector<GenerateRequest>& requests,
                          const std::vector<std::string>& md5s, std::ostream& out) {
  nlohmann::json j = nlohmann::json::array();
  for (size_t b = 0; b < requests.size(); ++b) {
    const auto& o = m.outputs[b];
    j.push_back({{"seed", requests[b].seed}, {"variant", requests[b].variant}, {"md5", md5s[b]},
                 {"latents_md5", tensor_md5(o.latents.contiguous().cpu())}, {"hash_chain", hash_chain(o.step_latents)},
                 {"latency_ms", m.request_latency_ms[b]}});
    out << "  request " << b << " (seed " << requests[b].seed << "): md5 " << md5s[b] << " | latency "
        << fixed_text(m.request_latency_ms[b]) << " ms\n";
  }
  out << "  batch " << requests.size() << ": generate " << fixed_text(m.sample_ms) << " ms | throughput "
      << fixed_text(videos_per_second(m), 3) << " videos/s\n";
  return j;
}

// A run whose video (request 0's) differs from the first run of the same request: the stage where
// they part goes in the run's JSON ("diverged") and on the console.
void note_divergence(const nlohmann::json& result, int64_t run, int64_t request, nlohmann::json& r,
                     std::map<int64_t, size_t>& first_run_of, std::ostream& out) {
  const auto [it, first] = first_run_of.emplace(request, static_cast<size_t>(run));
  if (first) return;
  const auto& earlier = result["runs"][it->second];
  if (earlier["md5"] == r["md5"]) return;
  const std::string stage = first_divergence(earlier, r);
  r["diverged"] = {{"from_run", it->second + 1}, {"first_stage", stage}};
  out << "run " << run + 1 << ": the video differs from run " << it->second + 1
      << "'s (the same request), first at " << stage << "\n";
}

void print_host_reads(const Measurement& m, int64_t blocks, std::ostream& out) {
  const auto& o = m.output;
  const int64_t time_copies = o.dit_host_reads.of(HostReadSite::kTimeFrequencies);
  const int64_t block_reads = o.dit_host_reads.syncs() - time_copies;
  out << "host reads per generate: " << o.host_reads.syncs() << " device reads (DiT " << o.dit_host_reads.syncs()
      << " = " << (o.dit_forwards ? block_reads / (blocks * o.dit_forwards) : 0) << " x " << blocks << " blocks x "
      << o.dit_forwards << " forwards + " << time_copies << " time-embedding copies; sampler "
      << o.host_reads.of(HostReadSite::kSamplerSigma) + o.host_reads.of(HostReadSite::kSamplerNoiseIndex) << "; text "
      << o.host_reads.of(HostReadSite::kTextLength) << "), " << o.host_reads.total() - o.host_reads.syncs()
      << " host-metadata reads\n";
}

// One line per rank: how long loading took and the host memory it needed (issue 19's bound: peak
// RSS <= 1.2 x the largest file + the RSS before loading).
nlohmann::json print_checkpoint_load(const Pipeline& pipeline, int rank, std::ostream& out) {
  const CheckpointLoadStats& s = pipeline.load_stats();
  out << "rank " << rank << " loaded checkpoint " << pipeline.options().checkpoint_dir << " in "
      << fixed_text(s.seconds, 2) << " s (" << (s.rank_slices ? "its own slices" : "whole") << ", " << s.files
      << " files, " << gib_text(s.bytes_read) << " read, shards kept " << gib_text(pipeline.shard_bytes())
      << "), peak host RSS " << gib_text(s.peak_rss_bytes) << (s.peak_since_start ? " (since start)" : "")
      << " (before loading " << gib_text(s.rss_before_bytes) << ", largest file " << gib_text(s.largest_file_bytes)
      << ")\n";
  return {{"seconds", s.seconds}, {"files", s.files}, {"tensors", s.tensors}, {"bytes_read", s.bytes_read},
          {"rank_slices", s.rank_slices}, {"shard_bytes", pipeline.shard_bytes()},
          {"rss_before_bytes", s.rss_before_bytes}, {"peak_rss_bytes", s.peak_rss_bytes},
          {"peak_since_start", s.peak_since_start}, {"largest_file_bytes", s.largest_file_bytes}};
}

void print_collectives(const Measurement& m, std::ostream& out) {
  out << "collectives (rank 0):";
  for (const auto& [name, c] : m.collectives)
    out << " " << name << " " << c.calls << " calls / " << fixed_text(static_cast<double>(c.bytes) / (1 << 20))
        << " MiB / " << fixed_text(c.ms) << " ms;";
  out << "\n";
}

// Installs the fault-injection hook (tests: a rank that dies mid-generate).
void install_crash_hook(const GenerateCommandOptions& o, PipelineSetup& s) {
  if (o.debug_crash_rank != s.world.rank || o.debug_crash_after_forwards < 0) return;
  opt::chain_forward_hints(s.engine->pipeline().seams(),
                           [n = o.debug_crash_after_forwards](dit::ForwardArgs&, const ForwardSite& site) {
                             if (site.forward_index == n) ::raise(SIGKILL);
                           });
}

// What the JSON says before the runs: the command, the workload, the build and the geometry.
nlohmann::json result_header(const PipelineSetup& setup, const PipelineOptions& popts, double build_ms) {
  const VideoGeometry& g = setup.geometry;
  nlohmann::json result;
  result["command"] = "generate";
  result["workload"] = setup.workload.to_json();
  result["preset"] = popts.model.name;
  result["dtype"] = popts.precision.name();
  result["seed"] = setup.workload.seed;
  result["weight_seed"] = setup.workload.weight_seed;
  result["environment"] = environment_json(setup.device);
  result["geometry"] = {{"height", g.height}, {"width", g.width}, {"frames", g.frames}, {"lat_f", g.lat_f},
                        {"lat_h", g.lat_h}, {"lat_w", g.lat_w}, {"frame_seqlen", g.frame_seqlen},
                        {"chunks", g.num_chunks}, {"tokens_per_chunk", g.tokens_per_chunk}, {"kv_size", g.kv_size},
                        {"forwards", g.forwards_per_generate}};
  result["build_ms"] = build_ms;
  result["world_size"] = setup.world.size;
  result["strategies"] = setup.values;
  return result;
}

}  // namespace

// After the runs: every rank's peak memory, then (rank 0) the summary lines and the JSON; the exit
// code says whether every request kept its MD5 across runs.
int finish_generate(const GenerateCommandOptions& o, PipelineSetup& setup, nlohmann::json& result,
                    const RequestMd5s& md5s, bool several_requests, std::ostream& out) {
  const auto mem = peak_memory(setup.device);
  std::cout << "rank " << setup.world.rank << " peak memory " << mem.peak_bytes << " bytes\n";
  if (setup.comm) setup.comm->barrier();
  if (setup.world.rank != 0) return 0;
  result["peak_memory"] = {{"bytes", mem.peak_bytes}, {"kind", mem.kind}};
  result["memory_estimate"] = memory_check_json(setup.memory, mem.peak_bytes, setup.rss_before_bytes, out);
  result["md5"] = md5s.all().front();
  if (several_requests) result["request_md5s"] = md5s.all();
  result["strategy_counters"] = setup.engine->installed(0).counters();
  result["md5_stable_across_runs"] = md5s.stable();
  out << "peak memory: " << fixed_text(static_cast<double>(mem.peak_bytes) / (1024.0 * 1024.0)) << " MiB (" << mem.kind
      << ")\n"
      << "md5: " << md5s.all().front() << (md5s.stable() ? "" : "  (WARNING: differs between runs of the same request)") << "\n";
  if (!o.json_path.empty()) {
    write_file_atomically(o.json_path, result.dump(2) + "\n");
    out << "wrote " << o.json_path << "\n";
  }
  return md5s.stable() ? 0 : 1;
}

int run_generate_command(const GenerateCommandOptions& o) {
  PipelineSetup setup = prepare_pipeline(o.pipeline);  // validates everything before any work
  if (setup.world.rank == 0) check_outputs(o);
  text::TokenizedPrompt token_ids;
  if (!o.token_ids.empty()) token_ids = io::read_token_ids(o.token_ids, preset(setup.workload.preset).t5.text_len());
  connect_ranks(setup);
  if (setup.comm) setup.comm->set_debug_stall(o.debug_stall_rank, o.debug_stall_at);
  const bool report = setup.world.rank == 0;
  std::ostringstream sink;
  std::ostream& out = report ? std::cout : sink;  // other ranks print only their own lines
  const PipelineOptions popts = pipeline_options(setup.workload, setup.device, setup.comm.get());
  out << "ablate generate: preset " << popts.model.name << " on " << setup.device.str() << " ("
      << popts.precision.name() << "), LibTorch " << compat::torch_version() << "\n"
      << "geometry: " << setup.geometry.describe() << "\n"
      << setup.memory_line << "\n";

  reset_peak_memory(setup.device);
  const std::string building = "building the " + popts.model.name + " pipeline";
  const double build_ms = [&] {
    OperationScope scope(building);
    return build_engine(setup);
  }();
  install_crash_hook(o, setup);
  install_token_ids(o, token_ids, setup);
  out << "build: " << fixed_text(build_ms) << " ms (weights seeded with " << setup.workload.weight_seed << ")\n";

  nlohmann::json result = result_header(setup, popts, build_ms);
  if (o.no_gpu_clocks) result["environment"]["gpu_clocks"] = "off (--no-gpu-clocks)";
  if (!popts.checkpoint_dir.empty())
    result["checkpoint_load"] = print_checkpoint_load(setup.engine->pipeline(), setup.world.rank, std::cout);

  const int64_t cycle = setup.workload.requests_per_cycle();
  const int64_t batch = setup.workload.batch;
  ABLATE_USAGE_CHECK(batch == 1 || (o.noise_dir.empty() && o.dump_dir.empty()), "--noise and --dump-intermediates "
                     "follow one request; with --batch ", batch, " pass --batch 1");
  RequestMd5s md5s(batch, cycle);
  std::map<int64_t, size_t> first_run_of;  // request of the cycle -> its first run
  for (int64_t run = 0; run < o.runs; ++run) {
    double rebuild_ms = 0;  // a per-request engine: every sample includes its build
    if (setup.per_request) {
      OperationScope scope(building);
      rebuild_ms = run == 0 ? build_ms : build_engine(setup);
      if (run > 0) {
        install_crash_hook(o, setup);
        install_token_ids(o, token_ids, setup);
      }
    }
    OperationScope scope(batch == 1 ? "generating request " + std::to_string(run % cycle) + " in run " + std::to_string(run + 1)
                                    : "generating a batch of " + std::to_string(batch) + " in run " + std::to_string(run + 1));
    auto requests = make_batch_requests(setup.workload, setup.world.size, run, &setup.inputs);
    if (batch == 1) attach_cross_check(o, setup.world.rank, run, requests[0]);  // --noise, --dump-intermediates
    StageHashes stages;
    requests[0].observe = stages.observer(std::move(requests[0].observe));
    MeasureOptions measure;
    measure.extra_ms = rebuild_ms;
    measure.phase_timers = !o.no_phase_timers;
    measure.gpu_clocks = !o.no_gpu_clocks;
    const Measurement m = measure_generate_batch(setup.engine->pipeline(), requests, setup.comm.get(), measure);
    std::cout << "rank " << setup.world.rank << " latents md5 " << m.rank_latent_md5s[static_cast<size_t>(setup.world.rank)]
              << "\n";
    if (!report) continue;
    if (run + 1 == o.runs) {
      OperationScope saving("writing the last run's outputs");
      save_outputs(o, m, out);
    }
    const auto run_md5s = md5s.add(m, run);
    auto r = run_json(m, run, run_md5s.front(), out);
    r["stage_md5"] = stages.md5s();
    note_divergence(result, run, (run * batch) % cycle, r, first_run_of, out);
    if (batch > 1) {
      r["batch"] = batch;
      r["throughput_videos_per_s"] = videos_per_second(m);
      r["requests"] = batch_json(m, requests, run_md5s, out);
    }
    result["runs"].push_back(r);
    if (run == 0) print_host_reads(m, popts.model.dit.num_layers(), out);
    if (setup.comm) print_collectives(m, out);
  }
  return finish_generate(o, setup, result, md5s, cycle > 1 || batch > 1, out);
}

}  // namespace ablate
