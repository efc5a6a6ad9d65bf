#include "experiments/runner/workload.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/compat.h"
#include "core/config.h"
#include "core/io/checkpoint.h"
#include "core/video_hash.h"
#include "core/dist/world.h"
#include "core/error.h"
#include "experiments/common/json_fields.h"
#include "experiments/common/run_environment.h"

namespace ablate {

nlohmann::json Workload::to_json() const {
  nlohmann::json j{{"preset", preset}, {"device", device}, {"dtype", dtype}, {"size", size}, {"height", height},
                   {"width", width}, {"frames", frames}, {"seed", seed}, {"weight_seed", weight_seed},
                   {"prompt_mode", prompt_mode}, {"prompt", prompt}, {"offload_text_encoder", offload_text_encoder},
                   {"collective_timeout_s", collective_timeout_s}};
  const Workload defaults;
  if (prompt_mode == "unique") j["request_cycle"] = request_cycle;
  if (local_attn_size != defaults.local_attn_size) j["local_attn_size"] = local_attn_size;
  if (sink_size != defaults.sink_size) j["sink_size"] = sink_size;
  if (cudnn_deterministic) j["cudnn_deterministic"] = true;
  if (deterministic_algorithms) j["deterministic_algorithms"] = true;
  if (fill_uninitialized) j["fill_uninitialized"] = true;
  if (threads != defaults.threads) j["threads"] = threads;
  if (batch != defaults.batch) j["batch"] = batch;
  for (const auto& [key, value] : std::vector<std::pair<const char*, const std::string*>>{
           {"checkpoint_dir", &checkpoint_dir}, {"tokenizer", &tokenizer}, {"image", &image}, {"poses", &poses},
           {"intrinsics", &intrinsics}, {"action", &action}})
    if (!value->empty()) j[key] = *value;
  return j;
}

Workload parse_workload(const JsonFields& f) {
  f.allow_only({"preset", "device", "dtype", "size", "height", "width", "frames", "seed", "weight_seed", "prompt_mode",
                "request_cycle", "prompt", "offload_text_encoder", "collective_timeout_s", "local_attn_size",
                "sink_size", "cudnn_deterministic", "deterministic_algorithms", "fill_uninitialized", "checkpoint_dir", "tokenizer", "image", "poses", "intrinsics",
                "action", "threads", "batch"});
  Workload w;
  w.preset = f.string_or("preset", w.preset);
  w.device = f.string_or("device", w.device);
  w.dtype = f.string_or("dtype", w.dtype);
  w.size = f.string_or("size", w.size);
  w.height = f.integer_or("height", w.height);
  w.width = f.integer_or("width", w.width);
  w.frames = f.integer_or("frames", w.frames);
  w.seed = f.integer_or("seed", w.seed);
  w.weight_seed = f.integer_or("weight_seed", w.weight_seed);
  w.prompt_mode = f.string_or("prompt_mode", w.prompt_mode);
  w.request_cycle = f.integer_or("request_cycle", w.request_cycle);
  w.prompt = f.string_or("prompt", w.prompt);
  w.offload_text_encoder = f.boolean_or("offload_text_encoder", w.offload_text_encoder);
  w.collective_timeout_s = f.number_or("collective_timeout_s", w.collective_timeout_s);
  w.local_attn_size = f.integer_or("local_attn_size", w.local_attn_size);
  w.sink_size = f.integer_or("sink_size", w.sink_size);
  w.cudnn_deterministic = f.boolean_or("cudnn_deterministic", w.cudnn_deterministic);
  w.deterministic_algorithms = f.boolean_or("deterministic_algorithms", w.deterministic_algorithms);
  w.fill_uninitialized = f.boolean_or("fill_uninitialized", w.fill_uninitialized);
  w.threads = f.integer_or("threads", w.threads);
  w.batch = f.integer_or("batch", w.batch);
  w.checkpoint_dir = f.string_or("checkpoint_dir", "");
  w.tokenizer = f.string_or("tokenizer", "");
  w.image = f.string_or("image", "");
  w.poses = f.string_or("poses", "");
  w.intrinsics = f.string_or("intrinsics", "");
  w.action = f.string_or("action", "");
  check_workload(w, 1, json_field_name(f.where()));
  return w;
}

void apply_process_settings(const Workload& w) {
  configure_determinism(w.cudnn_deterministic);
  compat::set_fill_uninitialized(w.fill_uninitialized, w.deterministic_algorithms);
  if (w.threads > 0) torch::set_num_threads(static_cast<int>(w.threads));
}

FieldName json_field_name(const std::string& where) {
  return [where](const std::string& field) { return where + "." + field; };
}

FieldName flag_field_name() {
  return [](const std::string& field) {
    std::string flag = "--" + field;
    std::replace(flag.begin(), flag.end(), '_', '-');
    return flag;
  };
}

namespace {

// Core messages start with the field they are about ("frames: expected 4n+1 ..."); this puts the
// caller's name of that field there.
UsageError renamed(const UsageError& e, const FieldName& name) {
  const std::string msg = e.what();
  for (const char* field : {"local_attn_size", "sink_size", "frames", "height", "width", "size", "preset", "dtype"}) {
    const size_t n = std::string(field).size();
    if (msg.compare(0, n, field) == 0 && msg.size() > n && (msg[n] == ':' || msg[n] == ' '))
      return UsageError(name(field) + msg.substr(n));
  }
  return e;
}

}  // namespace

void check_workload(const Workload& w, int world_size, const FieldName& name) {
  // before the geometry, which picks request k of the cycle (k mod request_cycle)
  ABLATE_USAGE_CHECK(w.request_cycle >= 1 && w.request_cycle <= 1000, name("request_cycle"),
                     ": expected 1..1000 requests per cycle, found ", w.request_cycle);
  ABLATE_USAGE_CHECK(w.batch >= 1 && w.batch <= kMaxBatch, name("batch"), ": expected 1..", kMaxBatch,
                     " requests per generate(), found ", w.batch);
  ABLATE_USAGE_CHECK(w.batch == 1 || w.seed <= std::numeric_limits<int64_t>::max() - (w.batch - 1), name("seed"),
                     ": request b of a batch has seed + b; ", w.seed, " + ", w.batch - 1, " overflows");
  try {
    preset(w.preset);
    Precision::for_name(w.dtype.empty() ? "fp32" : w.dtype);
    workload_geometry(w, world_size);
  } catch (const UsageError& e) {
    throw renamed(e, name);
  }
  ABLATE_USAGE_CHECK(w.device == "cpu" || w.device == "cuda" || w.device.rfind("cuda:", 0) == 0, name("device"),
                     ": unknown device '", w.device, "'; valid devices: cpu, cuda, cuda:N");
  ABLATE_USAGE_CHECK(w.threads >= 0 && w.threads <= 1024, name("threads"),
                     ": expected 0 (LibTorch's default) or a thread count up to 1024, found ", w.threads);
  ABLATE_USAGE_CHECK(w.seed >= 0, name("seed"), ": expected a non-negative integer, found ", w.seed);
  ABLATE_USAGE_CHECK(w.weight_seed >= 0, name("weight_seed"), ": expected a non-negative integer, found ", w.weight_seed);
  ABLATE_USAGE_CHECK(w.prompt_mode == "repeat" || w.prompt_mode == "unique", name("prompt_mode"), ": unknown mode '",
                     w.prompt_mode, "'; valid modes: repeat, unique");
  ABLATE_USAGE_CHECK(w.collective_timeout_s > 0 && w.collective_timeout_s <= 86400, name("collective_timeout_s"),
                     ": expected seconds in (0, 86400], found ", w.collective_timeout_s);
  ABLATE_USAGE_CHECK(w.size.empty() || (w.height == 0 && w.width == 0), name("size"),
                     ": size and height/width are exclusive; give one of them");
  dist::check_sequence_parallel(preset(w.preset).dit.num_heads(), world_size, w.preset);
  for (const auto& [field, on] : {std::pair<const char*, bool>{"deterministic_algorithms", w.deterministic_algorithms},
                                  {"fill_uninitialized", w.fill_uninitialized}})
    ABLATE_USAGE_CHECK(!on || compat::fill_uninitialized_unavailable().empty(), name(field), ": ",
                       compat::fill_uninitialized_unavailable());
  ABLATE_USAGE_CHECK(w.poses.empty() == w.intrinsics.empty(), name(w.poses.empty() ? "intrinsics" : "poses"),
                     ": poses and intrinsics go together (the reference's poses.npy and intrinsics.npy); give both");
  for (const auto& [field, path] : std::vector<std::pair<const char*, const std::string*>>{
           {"checkpoint_dir", &w.checkpoint_dir}, {"tokenizer", &w.tokenizer}, {"image", &w.image},
           {"poses", &w.poses}, {"intrinsics", &w.intrinsics}, {"action", &w.action}})
    ABLATE_USAGE_CHECK(path->empty() || std::filesystem::exists(*path), name(field), ": ", *path, " does not exist");
}

PipelineOptions pipeline_options(const Workload& w, torch::Device device, dist::Communicator* comm) {
  PipelineOptions o;
  o.model = preset(w.preset);
  o.device = device;
  o.precision = Precision::for_name(Precision::resolve_name(w.dtype, device));
  o.weight_seed = static_cast<uint64_t>(w.weight_seed);
  o.offload_text_encoder = w.offload_text_encoder;
  o.local_attn_size = w.local_attn_size;
  o.sink_size = w.sink_size;
  o.checkpoint_dir = w.checkpoint_dir;
  o.tokenizer_path = w.tokenizer;
  if (!w.action.empty()) o.model.dit.control_dim(7);  // action mode: rays_d + W, A, S, D
  o.comm = comm;
  return o;
}

GenerateRequest make_request(const Workload& w, int world_size, int64_t index, const GenerateInputs* loaded) {
  GenerateRequest r;
  if (loaded) {
    r.inputs = *loaded;
  } else {
    r.inputs.image_path = w.image;
    r.inputs.poses_path = w.poses;
    r.inputs.intrinsics_path = w.intrinsics;
    r.inputs.action_path = w.action;
  }
  if (!w.prompt.empty()) r.prompt = w.prompt;
  if (w.prompt_mode == "unique") {
    // request k of the cycle: its own prompt, test card and camera path (the caches miss)
    const int64_t k = index % w.request_cycle;
    r.prompt += " (request " + std::to_string(k) + ")";
    r.variant = k;
  }
  r.seed = static_cast<uint64_t>(w.seed);
  r.geometry.size = w.size.empty() && w.height == 0 && w.width == 0 ? preset(w.preset).default_size : w.size;
  r.geometry.height = w.height;
  r.geometry.width = w.width;
  r.geometry.frames = w.frames;
  r.geometry.world_size = world_size;
  r.geometry.local_attn_size = w.local_attn_size;
  r.geometry.sink_size = w.sink_size;
  return r;
}

std::vector<GenerateRequest> make_batch_requests(const Workload& w, int world_size, int64_t index,
                                                 const GenerateInputs* loaded) {
  std::vector<GenerateRequest> requests;
  for (int64_t b = 0; b < w.batch; ++b) {
    requests.push_back(make_request(w, world_size, index * w.batch + b, loaded));
    requests.back().seed = static_cast<uint64_t>(w.seed + b);
  }
  return requests;
}

GenerateInputs load_workload_inputs(const Workload& w) { return load_inputs(make_request(w, 1).inputs); }

nlohmann::json workload_input_hashes(const Workload& w) {
  nlohmann::json j = nlohmann::json::object();
  if (!w.checkpoint_dir.empty()) j["checkpoint_dir"] = io::checkpoint_hash(w.checkpoint_dir);
  for (const auto& [field, path] : std::vector<std::pair<const char*, const std::string*>>{
           {"tokenizer", &w.tokenizer}, {"image", &w.image}, {"poses", &w.poses}, {"intrinsics", &w.intrinsics},
           {"action", &w.action}}) {
    if (path->empty()) continue;
    std::ifstream f(*path, std::ios::binary);
    ABLATE_USAGE_CHECK(f.good(), field, ": cannot read ", *path);
    j[field] = sha256_hex(std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>()));
  }
  return j;
}

VideoGeometry workload_geometry(const Workload& w, int world_size) {
  GenerateRequest r = make_request(w, world_size);
  if (!w.image.empty() || !w.poses.empty()) r.inputs = load_inputs(r.inputs);  // the image's aspect, the poses' clamp
  // the pipeline's own derivation (apply the inputs' geometry): one function for every caller
  return geometry_with_inputs(r);
}

}  // namespace ablate
