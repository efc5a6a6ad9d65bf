// What every generate() of a run does: the model, the device, the video and the requests. The same
// struct comes from a matrix spec's "workload" object or from `ablate generate`'s flags, and one
// set of functions turns it into pipeline options and requests, so every command builds its
// engine the same way.
#pragma once
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>

#include "core/geometry.h"
#include "core/pipeline.h"

namespace ablate {

class JsonFields;

struct Workload {
  std::string preset = "tiny";
  std::string device = "cpu";
  std::string dtype;          // default: fp32 on cpu, bf16 on cuda
  std::string size;           // max-area "H*W"; default: the preset's
  int64_t height = 0, width = 0;
  int64_t frames = 81;
  int64_t seed = 42;
  int64_t weight_seed = 0;
  // repeat: every generate() makes the same request (what the caches hit) | unique: a cycle of
  // request_cycle requests that differ in prompt, image and camera path, the same cycle for every
  // combination
  std::string prompt_mode = "repeat";
  int64_t request_cycle = 3;
  // requests in one generate() (Pipeline::generate_batch): request b of a batch has seed + b and,
  // unique, its own place in the cycle; 1: the unbatched generate()
  int64_t batch = 1;
  std::string prompt;         // default: the core's built-in prompt
  bool offload_text_encoder = false;
  double collective_timeout_s = 300;
  int64_t local_attn_size = -1;  // sliding KV window in latent frames (-1: global)
  int64_t sink_size = 0;
  bool cudnn_deterministic = false;  // cuDNN's deterministic algorithms (the reference: off)
  // debugging bit drift (LibTorch >= 2.1): LibTorch's deterministic mode (warn-only), and with it
  // every uninitialized tensor filled with NaN; a video that differs between the two reads memory
  // that no kernel wrote
  bool deterministic_algorithms = false;
  bool fill_uninitialized = false;
  // intra-op threads of LibTorch's CPU kernels (0: LibTorch's default, one per core); pinning them
  // below the core count keeps CPU timings steadier on a small shared machine
  int64_t threads = 0;
  // real model I/O (empty: the seeded weights, built-in tokenizer, synthetic card and camera path)
  std::string checkpoint_dir;  // the reference's layout (core/io/checkpoint_layout.h)
  std::string tokenizer;       // umt5-xxl spiece.model
  std::string image;           // PNG or JPEG: the first frame, and the aspect ratio
  std::string poses, intrinsics;  // poses.npy [N, 4, 4] and intrinsics.npy [N, 4], both or neither
  std::string action;          // action.npy [N, 4] (W, A, S, D): action mode (a control_dim 7 DiT)

  // Requests per cycle: request_cycle for unique workloads, 1 for repeat.
  int64_t requests_per_cycle() const { return prompt_mode == "unique" ? request_cycle : 1; }
  // The JSON the ledger and the fingerprint carry; fields added after ablate.ledger/1 appear only
  // when they differ from their defaults, so older baselines keep their fingerprint keys.
  nlohmann::json to_json() const;
};

// Parses a workload object (unknown fields refused); UsageError naming the file and field.
Workload parse_workload(const JsonFields& fields);

// How messages name a workload field: "spec.json.workload.frames" for a file, "--frames" for a flag.
using FieldName = std::function<std::string(const std::string& field)>;
FieldName json_field_name(const std::string& where);  // <where>.<field>
FieldName flag_field_name();                          // --<field with dashes>

// Every check that does not need to run anything: preset, device name, dtype, size, frames, the
// window, world size against the preset's heads. UsageError naming the field (as `name` spells it).
void check_workload(const Workload& w, int world_size, const FieldName& name);

// The process-wide settings a workload asks for, before any engine is built: cuDNN determinism and
// the intra-op thread count.
void apply_process_settings(const Workload& w);

// The pipeline options of `w` on `device` (dtype default: fp32 on CPU, bf16 on CUDA).
PipelineOptions pipeline_options(const Workload& w, torch::Device device, dist::Communicator* comm);

// Request `index` of the run (its position in the workload's cycle decides what it asks for);
// `loaded`: the workload's input files read once (load_workload_inputs), else the paths.
GenerateRequest make_request(const Workload& w, int world_size, int64_t index = 0,
                             const GenerateInputs* loaded = nullptr);

// The largest batch a workload may ask for.
constexpr int64_t kMaxBatch = 64;

// The `batch` requests of generate() number `index`: request b is make_request(index * batch + b)
// with seed + b (distinct seeds; unique: distinct prompts, cards and camera paths). batch 1: exactly
// {make_request(index)}.
std::vector<GenerateRequest> make_batch_requests(const Workload& w, int world_size, int64_t index = 0,
                                                 const GenerateInputs* loaded = nullptr);

// The workload's input files (image, poses, intrinsics, action) read into tensors, once, before
// any work: UsageError naming a missing or bad file.
GenerateInputs load_workload_inputs(const Workload& w);

// SHA-256 (checkpoint: io::checkpoint_hash) of every input file the workload names, for the
// determinism fingerprint: the output depends on their contents, not their names.
nlohmann::json workload_input_hashes(const Workload& w);

// The geometry every request of `w` has at `world_size`.
VideoGeometry workload_geometry(const Workload& w, int world_size);

}  // namespace ablate
