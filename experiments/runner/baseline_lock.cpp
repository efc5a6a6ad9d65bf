#include "experiments/runner/baseline_lock.h"

#include <filesystem>

#include "core/error.h"
#include "core/video_hash.h"
#include "experiments/common/fingerprint.h"

namespace ablate {
namespace fs = std::filesystem;

MatrixSpec baseline_outputs_spec(const MatrixSpec& spec) {
  MatrixSpec base = spec;
  base.mode = MatrixMode::kList;
  base.combinations = {{}};
  base.warmup = 0;
  base.repetitions = spec.workload.requests_per_cycle();
  return base;
}

RunnerResult run_baseline_outputs(const MatrixSpec& spec) {
  const MatrixSpec base = baseline_outputs_spec(spec);
  RunnerOptions ro;
  ro.keep_video = true;
  ro.audit_syncs = false;
  return run_matrix(base, ro);
}

namespace {

std::string sha256_of(const torch::Tensor& t) {
  const auto c = t.contiguous();
  return sha256_hex(std::string(static_cast<const char*>(c.data_ptr()), c.numel() * c.element_size()));
}

}  // namespace

BaselineEntry baseline_entry_of(const RunnerResult& result, const std::string& baseline_path) {
  TORCH_CHECK(result.baseline_video.defined() && !result.baseline_md5s.empty(),
              "the baseline combination produced no video (see the errors above)");
  BaselineEntry e;
  e.fingerprint = result.fingerprint;
  e.key = fingerprint_key(e.fingerprint);
  e.md5 = result.baseline_md5s.front();
  e.hash_chain = result.baseline_chains.front();
  if (result.baseline_md5s.size() > 1) {
    e.request_md5s = result.baseline_md5s;
    e.request_chains = result.baseline_chains;
  }
  e.steps_per_chunk = result.steps_per_chunk;
  const std::string stem = fs::path(baseline_path).stem().string() + "-" + e.key;
  e.video_file = stem + ".u8";
  e.video_shape = result.baseline_video.sizes().vec();
  e.video_sha256 = sha256_of(result.baseline_video);
  if (result.baseline_latents.defined()) {
    e.latents_file = stem + ".f32";
    e.latents_shape = result.baseline_latents.sizes().vec();
    e.latents_sha256 = sha256_of(result.baseline_latents.to(torch::kFloat).cpu());
  }
  return e;
}

}  // namespace ablate
