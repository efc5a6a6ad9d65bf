#include "experiments/cli/pipeline_setup.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

#include "core/config.h"
#include "core/cuda_device.h"
#include "core/error.h"
#include "experiments/common/run_environment.h"
#include "optimizations/registry.h"

namespace ablate {
namespace {

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

dist::Residency parse_residency(const std::string& s) {
  if (s == "full") return dist::Residency::kFullShard;
  if (s == "grad_op") return dist::Residency::kKeepGathered;
  if (s == "none") return dist::Residency::kReplicated;
  throw UsageError("--shard: unknown value '" + s + "'; valid values: full, grad_op, none");
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

void add_pipeline_flags(CLI::App* cmd, GenerateCommandOptions& o) {
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
  cmd->add_option("--local-attn-size", o.local_attn_size, "Sliding KV window in latent frames (-1: global)")->capture_default_str();
  cmd->add_option("--sink-size", o.sink_size, "Latent frames never evicted from the window")->capture_default_str();
  cmd->add_flag("--offload-text-encoder", o.offload_text_encoder,
                "Keep the text encoder in host memory between encodes (the reference's offload_model on one GPU)");
  cmd->add_option("--set", o.strategies, "Turn a strategy on: name=value (repeatable; `ablate list` shows them)");
  cmd->add_option("--world-size", o.world_size, "Expected world size (checked against WORLD_SIZE)");
  cmd->add_option("--shard", o.shard, "Parameter residency when sharded: full, grad_op, none")->capture_default_str();
  cmd->add_flag("--prefetch-gathers", o.prefetch_gathers, "Start the next unit's parameter all-gather early");
  cmd->add_option("--collective-timeout", o.collective_timeout_s, "Seconds a collective may wait for the others")
      ->capture_default_str();
}

PipelineSetup prepare_pipeline(const GenerateCommandOptions& o) {
  PipelineSetup s;
  PipelineOptions& popts = s.options;
  dist::WorldInfo& world = s.world;
  popts.model = preset(o.preset);
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
  popts.precision = Precision::for_name(Precision::resolve_name(o.dtype, popts.device));
  popts.weight_seed = static_cast<uint64_t>(o.weight_seed);
  popts.local_attn_size = o.local_attn_size;
  popts.sink_size = o.sink_size;
  popts.offload_text_encoder = o.offload_text_encoder;
  ABLATE_USAGE_CHECK(o.runs >= 1, "--runs: expected at least 1, got ", o.runs);
  ABLATE_USAGE_CHECK(o.seed >= 0, "--seed: expected a non-negative seed, got ", o.seed);
  ABLATE_USAGE_CHECK(!(!o.size.empty() && (o.height > 0 || o.width > 0)), "--size ", o.size,
                     " and --height/--width are exclusive; give one of them");
  GenerateRequest& request = s.request;
  if (!o.prompt.empty()) request.prompt = o.prompt;
  request.seed = static_cast<uint64_t>(o.seed);
  request.geometry.size = o.size.empty() && o.height == 0 && o.width == 0 ? popts.model.default_size : o.size;
  request.geometry.height = o.height;
  request.geometry.width = o.width;
  request.geometry.frames = o.frames;
  request.geometry.local_attn_size = o.local_attn_size;
  request.geometry.sink_size = o.sink_size;
  request.geometry.world_size = world.size;
  s.geometry = compute_geometry(request.geometry);
  if (world.rank == 0) check_writable(o.json_path);
  s.run_config.values = parse_strategies(o.strategies);
  s.run_config.device = popts.device;
  s.run_config.world_size = world.size;
  for (const auto& [name, value] : s.run_config.values) {
    auto strategy = opt::make_strategy(name);
    const std::string reason = strategy->validate(value, s.run_config);
    ABLATE_USAGE_CHECK(reason.empty(), "--set ", name, "=", value, " cannot run here: ", reason);
    strategy->configure(value, popts);
    s.strategies.emplace_back(name, std::move(strategy));
  }
  configure_determinism();
  return s;
}

void connect_ranks(PipelineSetup& s, double collective_timeout_s) {
  if (!dist::launched_by_launcher() || s.world.size <= 1) return;
  s.comm = std::make_unique<dist::Communicator>(
      s.world, s.options.device, std::chrono::milliseconds(static_cast<int64_t>(collective_timeout_s * 1000)));
  s.options.comm = s.comm.get();
}

std::unique_ptr<Pipeline> build_pipeline(PipelineSetup& s) {
  auto pipeline = std::make_unique<Pipeline>(s.options);
  opt::InstallContext install_ctx{s.request};
  for (auto& [name, strategy] : s.strategies) strategy->install(s.run_config.values.at(name), *pipeline, install_ctx);
  return pipeline;
}

}  // namespace ablate
