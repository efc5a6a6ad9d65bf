#include "experiments/cli/profile_command.h"

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "experiments/cli/pipeline_setup.h"
#include "experiments/common/output_folder.h"
#include "experiments/common/operation_context.h"
#include "profiling/capture_window.h"
#include "profiling/cuda_profiler.h"
#include "profiling/kineto_session.h"
#include "profiling/phase_timer.h"
#include "profiling/trace_recorder.h"

namespace ablate {
namespace {

// Single-quotes an argument for a POSIX shell when it holds anything but safe characters.
std::string shell_quote(const std::string& s) {
  static const std::regex safe("[A-Za-z0-9_./=:,+@%-]+");
  if (!s.empty() && std::regex_match(s, safe)) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string join_quoted(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + shell_quote(a);
  return out;
}

}  // namespace

ChunkWindow parse_chunk_window(const std::string& text, const VideoGeometry& g) {
  const int64_t last_valid = g.num_chunks - 1;
  const std::string valid = "valid chunks are 0-" + std::to_string(last_valid) + " (this geometry has " +
                            std::to_string(g.num_chunks) + " chunks of " + std::to_string(g.chunk_size) +
                            " latent frames)";
  if (text.empty()) return {last_valid, last_valid};
  std::smatch m;
  static const std::regex form("([0-9]+)(-([0-9]+))?");
  ABLATE_USAGE_CHECK(std::regex_match(text, m, form), "--chunks ", text,
                     ": expected A-B or A (chunk indices, A <= B); ", valid);
  ChunkWindow w;
  w.first = std::stoll(m[1]);
  w.last = m[3].matched ? std::stoll(m[3]) : w.first;
  ABLATE_USAGE_CHECK(w.first <= w.last, "--chunks ", text, ": expected A <= B, got A = ", w.first, " > B = ", w.last,
                     "; ", valid);
  ABLATE_USAGE_CHECK(w.last <= last_valid, "--chunks ", text, ": chunk ", w.last, " is out of range; ", valid);
  return w;
}

std::vector<std::string> profiler_command_lines(const std::vector<std::string>& argv, const ChunkWindow& w) {
  const std::string run = join_quoted(argv);
  const std::string tag = "chunks-" + std::to_string(w.first) + "-" + std::to_string(w.last);
  // ncu matches range names (registered strings included), not payloads: the capture range picks
  // the chunks, the NVTX filter the part of the model; "domain@name/" is a push/pop range.
  const std::string ncu = "ncu --profile-from-start off --nvtx";
  return {
      "nsys profile --capture-range=cudaProfilerApi --capture-range-end=stop -t cuda,nvtx -o ablate-" + tag + " " + run,
      "nsys stats -r nvtx_sum,cuda_gpu_kern_sum ablate-" + tag + ".nsys-rep",
      ncu + " --nvtx-include \"ablate@self_attn/\" --set basic -o ablate-self-attn-" + tag + " " + run,
      ncu + " --nvtx-include \"ablate@ffn/\" --nvtx-exclude \"ablate@refresh/\" --set basic -o ablate-ffn-" + tag + " " + run,
      ncu + " --nvtx-include \"ablate@step/\" --nvtx-exclude \"ablate@block/\" --set basic -o ablate-outside-blocks-" + tag + " " + run,
  };
}

CLI::App* add_profile_command(CLI::App& app, ProfileCommandOptions& o) {
  auto* cmd = app.add_subcommand(
      "profile", "Run generate() once to warm up, then once with chunks A..B inside the CUDA profiler's capture range; "
                 "print the nsys/ncu command lines for it.");
  add_pipeline_flags(cmd, o.pipeline);
  cmd->add_option("--chunks", o.chunks, "Chunks to capture, A-B or A (default: the last chunk)");
  cmd->add_option("--batch", o.pipeline.workload.batch, "Requests in the profiled generate(), batched as generate --batch")
      ->capture_default_str()
      ->check(integer_in(1, kMaxBatch));
  cmd->add_option("--trace", o.trace,
                  "Write a Chrome/Perfetto trace (Trace Event Format JSON) of the window: Kineto's (CUDA kernels "
                  "and Ablate's ranges) where LibTorch has Kineto, else Ablate's own ranges and phases. Open it in "
                  "ui.perfetto.dev");
  cmd->footer("Examples:\n"
              "  ablate profile --preset tiny --chunks 1-2 --trace trace.json\n"
              "  ablate profile --preset 1.3b --chunks 2 --trace dit.json   # CUDA build: kernels + ranges\n"
              "  scripts/trace_top_kernels.py dit.json --top 20");
  return cmd;
}

int run_profile_command(const ProfileCommandOptions& o) {
  PipelineSetup setup = prepare_pipeline(o.pipeline);
  if (!o.trace.empty()) {
    const auto parent = std::filesystem::path(o.trace).parent_path();
    ABLATE_USAGE_CHECK(parent.empty() || std::filesystem::is_directory(parent), "--trace ", o.trace, ": the folder ",
                       parent.string(), " does not exist");
  }
  const ChunkWindow window = parse_chunk_window(o.chunks, setup.geometry);
  const bool report = setup.world.rank == 0;
  std::ostringstream sink;
  std::ostream& out = report ? std::cout : sink;
  out << "ablate profile: preset " << setup.workload.preset << " on " << setup.device.str() << " ("
      << Precision::resolve_name(setup.workload.dtype, setup.device) << ")\n"
      << "geometry: " << setup.geometry.describe() << "\n"
      << "capture window: chunks " << window.first << "-" << window.last << " of the second generate() "
      << "(the first warms up)"
      << (setup.workload.batch > 1 ? ", each a batch of " + std::to_string(setup.workload.batch) + " requests" : "") << "\n";
  const std::string unavailable = setup.device.is_cuda() ? cuda_profiler_unavailable_reason()
                                                         : "the run is on the CPU: no CUDA profiler API is there";
  out << "profile this run with (the capture range is opened by the process itself):\n";
  for (const auto& line : profiler_command_lines(o.argv, window)) out << "  " << line << "\n";
  if (!unavailable.empty()) out << "note: " << unavailable << "; running without the CUDA profiler's capture range\n";

  connect_ranks(setup);
  {
    OperationScope scope("building the " + setup.workload.preset + " pipeline");
    build_engine(setup);
  }
  Pipeline& pipeline = setup.engine->pipeline();
  // the workload's batch (one request unless --batch), as generate runs it
  const auto requests = make_batch_requests(setup.workload, setup.world.size, 0, &setup.inputs);
  if (setup.comm) setup.comm->barrier();
  OperationScope scope("generating request 0 (the profiled run)");
  pipeline.generate_batch(requests);  // warm-up: allocator, cuBLAS/cuDNN handles, kernel caches

  PhaseTimer timer(setup.device);
  // --trace: Kineto where LibTorch has it, else Ablate's own recorder (ranges and phases)
  const bool kineto = !o.trace.empty() && trace::kineto_unavailable_reason().empty();
  // every rank's Kineto session writes a file; rank r > 0 beside rank 0's
  const std::string trace_path = setup.world.rank == 0 ? o.trace : o.trace + ".rank" + std::to_string(setup.world.rank) + ".json";
  trace::TraceRecorder recorder;
  trace::PhaseTraceHooks traced(recorder, &timer);
  PhaseHooks* inner = o.trace.empty() || kineto ? static_cast<PhaseHooks*>(&timer) : &traced;
  const bool cuda_capture = unavailable.empty();
  auto start = [&] {
    if (cuda_capture) cuda_profiler_start();
    if (kineto) trace::kineto_start(setup.device.is_cuda());
    if (!o.trace.empty() && !kineto) trace::set_active_recorder(&recorder);
  };
  auto stop = [&] {
    if (!o.trace.empty() && !kineto) trace::set_active_recorder(nullptr);
    if (kineto) trace::kineto_stop_and_save(trace_path);
    if (cuda_capture) cuda_profiler_stop();
  };
  CaptureWindow capture(window.first, window.last, inner, start, stop);
  PhaseHooks* hooks = cuda_capture || !o.trace.empty() ? static_cast<PhaseHooks*>(&capture) : inner;
  if (setup.comm) setup.comm->barrier();
  try {
    pipeline.generate_batch(requests, hooks);
  } catch (...) {
    trace::set_active_recorder(nullptr);
    throw;
  }
  if (!o.trace.empty() && report) {
    if (!kineto) write_file_atomically(o.trace, recorder.to_chrome_json());
    out << "trace: " << o.trace << " (" << (kineto ? "Kineto: CUDA kernels and Ablate's ranges" : "Ablate's own ranges and phases; " + trace::kineto_unavailable_reason())
        << "); open it in https://ui.perfetto.dev\n";
  }
  double window_ms = 0;
  for (const auto& t : timer.finish())
    if (t.phase == Phase::kChunk && t.index >= window.first && t.index <= window.last)
      window_ms += t.device_ms >= 0 ? t.device_ms : t.host_ms;
  out << "captured generate: chunks " << window.first << "-" << window.last << " took " << std::fixed
      << std::setprecision(1) << window_ms << " ms";
  if (cuda_capture) out << " (profiler started " << capture.starts() << "x, stopped " << capture.stops() << "x)";
  out << "\n";
  return 0;
}

}  // namespace ablate
