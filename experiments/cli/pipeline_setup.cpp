#include "experiments/cli/pipeline_setup.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "core/cuda_device.h"
#include "core/error.h"
#include "experiments/common/run_environment.h"
#include "experiments/runner/assignment.h"
#include "experiments/runner/combinations.h"

namespace ablate {

CLI::Validator integer_in(int64_t lo, int64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        size_t used = 0;
        long long v = 0;
        try {
          v = std::stoll(text, &used);
        } catch (const std::out_of_range&) {
          return "'" + text + "' is beyond the 64-bit integer range; expected an integer in [" + std::to_string(lo) +
                 ", " + std::to_string(hi) + "]";
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size()) return "'" + text + "' is not an integer";
        if (v < lo || v > hi)
          return "'" + text + "' is out of range; expected an integer in [" + std::to_string(lo) + ", " +
                 std::to_string(hi) + "]";
        return "";
      },
      "INT in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

CLI::Validator number_in(double lo, double hi) {
  auto range = [lo, hi] {
    std::ostringstream os;
    os << "[" << lo << ", " << hi << "]";
    return os.str();
  };
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        size_t used = 0;
        double v = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size() || text.empty()) return "'" + text + "' is not a number";
        if (!std::isfinite(v) || v < lo || v > hi) return "'" + text + "' is out of range; expected a number in " + range();
        return "";
      },
      "NUMBER in " + range());
}

void add_pipeline_flags(CLI::App* cmd, PipelineFlags& f) {
  Workload& w = f.workload;
  const auto nonneg = integer_in(0, std::numeric_limits<int64_t>::max());
  cmd->add_option("--preset", w.preset, "Model preset: tiny, 1.3b, 14b")->capture_default_str();
  cmd->add_option("--device", w.device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--size", w.size, "Max-area size H*W as the reference's --size (default: the preset's)");
  cmd->add_option("--height", w.height, "Exact pixel height (multiple of 16), with --width")->check(integer_in(0, 65536));
  cmd->add_option("--width", w.width, "Exact pixel width (multiple of 16), with --height")->check(integer_in(0, 65536));
  cmd->add_option("--frames", w.frames, "Pixel frames, 4n+1")->capture_default_str()->check(integer_in(1, 100001));
  cmd->add_option("--seed", w.seed, "Noise seed (0..2^63-1)")->capture_default_str()->check(nonneg);
  cmd->add_option("--weight-seed", w.weight_seed, "Seed of the synthetic weights (0..2^63-1)")->capture_default_str()->check(nonneg);
  cmd->add_option("--prompt", w.prompt, "Text prompt (default: a built-in one)");
  cmd->add_option("--dtype", w.dtype, "fp32 or bf16 (default: fp32 on cpu, bf16 on cuda)");
  cmd->add_option("--local-attn-size", w.local_attn_size, "Sliding KV window in latent frames (-1: global)")
      ->capture_default_str()
      ->check(integer_in(-1, 100000));
  cmd->add_option("--sink-size", w.sink_size, "Latent frames never evicted from the window")
      ->capture_default_str()
      ->check(integer_in(0, 100000));
  cmd->add_option("--threads", w.threads, "LibTorch's intra-op CPU threads (0: its default, one per core)")
      ->capture_default_str()
      ->check(integer_in(0, 1024));
  cmd->add_flag("--cudnn-deterministic", w.cudnn_deterministic,
                "cuDNN's deterministic algorithms (the reference leaves them off)");
  cmd->add_flag("--deterministic-algorithms", w.deterministic_algorithms,
                "LibTorch's deterministic mode, warn-only (debugging bit drift; LibTorch >= 2.1)");
  cmd->add_flag("--fill-uninitialized", w.fill_uninitialized,
                "With --deterministic-algorithms' mode, fill every uninitialized tensor with NaN: a video that "
                "then differs reads memory no kernel wrote (LibTorch >= 2.1)");
  cmd->add_flag("--offload-text-encoder", w.offload_text_encoder,
                "Keep the text encoder in host memory between encodes (the reference's offload_model on one GPU)");
  cmd->add_option("--checkpoint-dir", w.checkpoint_dir,
                  "Weights from a checkpoint in the reference's layout (lingbot_world_fast/, the T5 and VAE .pth)");
  cmd->add_option("--tokenizer", w.tokenizer, "The umt5-xxl SentencePiece model (google/umt5-xxl/spiece.model)");
  cmd->add_option("--image", w.image, "First frame: PNG or JPEG (its aspect ratio, the area of --size)");
  cmd->add_option("--poses", w.poses, "Camera path: poses.npy [N, 4, 4] camera-to-world (with --intrinsics)");
  cmd->add_option("--intrinsics", w.intrinsics, "intrinsics.npy [N, 4] fx, fy, cx, cy at 480x832 (with --poses)");
  cmd->add_option("--action", w.action, "action.npy [N, 4] W, A, S, D: action mode (a 7-channel control DiT)");
  cmd->add_option("--set", f.sets, "Turn a strategy on: name=value (repeatable; `ablate list` shows them)");
  cmd->add_option("--shard", f.shard, "Same as --set shard=VALUE (full, grad_op, none)");
  cmd->add_flag("--prefetch-gathers", f.prefetch_gathers, "Same as --set gather_prefetch=on");
  cmd->add_option("--world-size", f.world_size, "Expected world size (checked against WORLD_SIZE)")->check(integer_in(0, 65536));
  cmd->add_option("--collective-timeout", w.collective_timeout_s, "Seconds a collective may wait for the others")
      ->capture_default_str()
      ->check(number_in(0.001, 86400.0));
  cmd->add_flag("--no-preflight", f.no_preflight, "Run even when the memory estimate exceeds the memory available");
}

namespace {

// --set, with --shard / --prefetch-gathers as exact aliases: one parser, one set of messages.
StrategyValues strategy_values(const PipelineFlags& f) {
  StrategyValues values = parse_assignments(f.sets, "--set");
  auto alias = [&](const std::string& name, const std::string& value, const std::string& flag) {
    auto [n, v] = parse_assignment(name + "=" + value, flag);
    ABLATE_USAGE_CHECK(!values.count(n) || values[n] == v, flag, ": strategy ", n, " is also set by --set to '",
                       values[n], "'");
    values[n] = v;
  };
  if (!f.shard.empty()) alias("shard", f.shard, "--shard");
  if (f.prefetch_gathers) alias("gather_prefetch", "on", "--prefetch-gathers");
  return values;
}

}  // namespace

PipelineSetup prepare_pipeline(const PipelineFlags& f) {
  PipelineSetup s;
  s.workload = f.workload;
  const bool distributed = dist::launched_by_launcher();
  if (distributed) s.world = dist::world_from_env();
  ABLATE_USAGE_CHECK(f.world_size == 0 || (distributed && f.world_size == s.world.size), "--world-size ",
                     f.world_size, " does not match the environment (",
                     distributed ? "WORLD_SIZE=" + std::to_string(s.world.size) : std::string("no WORLD_SIZE set"),
                     "); start ", f.world_size, " ranks with `ablate launch --nproc ", f.world_size,
                     " -- generate ...` or torchrun");
  check_workload(s.workload, s.world.size, flag_field_name());
  s.device = parse_device(s.workload.device);
  if (distributed && s.device.is_cuda()) s.device = torch::Device(torch::kCUDA, s.world.local_rank);
  use_device(s.device);
  s.geometry = workload_geometry(s.workload, s.world.size);
  s.inputs = load_workload_inputs(s.workload);  // once: a bad file exits 2 before any work
  s.values = strategy_values(f);
  opt::RunConfig where;
  where.device = s.device;
  where.world_size = s.world.size;
  const Combination c = make_combination(s.values, where);
  ABLATE_USAGE_CHECK(c.skip_reason.empty(), "--set ", c.id, " cannot run here: ", c.skip_reason);
  s.values = c.values;  // baseline values dropped, as in a matrix
  s.per_request = c.per_request_engine;
  // a strategy that batches requests (batched_requests) sets the batch as --batch does
  const int64_t batch = requests_per_generate(s.workload, s.values);
  ABLATE_USAGE_CHECK(batch == s.workload.batch || s.workload.batch == 1, "--batch ", s.workload.batch,
                     " and --set ", c.id, " both set the requests per generate() (", batch,
                     "); give one of them");
  s.workload.batch = batch;
  apply_process_settings(s.workload);
  if (f.no_preflight) set_memory_preflight_enabled(false);
  s.memory = estimate_workload_memory(s.workload, s.values, s.device, s.world.size, s.world.rank);
  s.memory_line = run_memory_preflight(s.memory, s.device,
                                       "preset " + s.workload.preset + " at world " + std::to_string(s.world.size) +
                                           " (rank " + std::to_string(s.world.rank) + ")");
  s.rss_before_bytes = process_rss_bytes();
  return s;
}

void connect_ranks(PipelineSetup& s) {
  if (!dist::launched_by_launcher() || s.world.size <= 1) return;
  s.comm = std::make_unique<dist::Communicator>(
      s.world, s.device, std::chrono::milliseconds(static_cast<int64_t>(s.workload.collective_timeout_s * 1000)));
}

double build_engine(PipelineSetup& s) {
  if (!s.engine) s.engine = std::make_unique<Engine>(s.workload, s.device, s.comm.get(), s.values);
  const double build_ms = s.engine->build();
  const double install_ms = s.engine->install(0, s.values, setup_request(s, 0)).install_ms;
  s.engine->use(0);
  return build_ms + install_ms;
}

GenerateRequest setup_request(const PipelineSetup& s, int64_t index) {
  return make_request(s.workload, s.world.size, index, &s.inputs);
}

}  // namespace ablate
