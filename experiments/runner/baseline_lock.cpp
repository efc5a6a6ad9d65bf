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

BaselineEntry baseline_entry_of(const nlohmann::json& fingerprint, const GateReference& outputs,
                                const std::string& baseline_path) {
  TORCH_CHECK(outputs.video_u8.defined() && !outputs.md5s.empty() && !outputs.chains.empty(),
              "the baseline combination produced no video (see the errors above)");
  BaselineEntry e;
  e.fingerprint = fingerprint;
  e.key = fingerprint_key(e.fingerprint);
  e.md5 = outputs.md5s.front();
  e.hash_chain = outputs.chains.front();
  if (outputs.md5s.size() > 1) {
    e.request_md5s = outputs.md5s;
    e.request_chains = outputs.chains;
  }
  e.steps_per_chunk = outputs.steps_per_chunk;
  const std::string stem = fs::path(baseline_path).stem().string() + "-" + e.key;
  e.video_file = stem + ".u8";
  e.video_shape = outputs.video_u8.sizes().vec();
  e.video_sha256 = sha256_of(outputs.video_u8);
  if (outputs.latents.defined()) {
    e.latents_file = stem + ".f32";
    e.latents_shape = outputs.latents.sizes().vec();
    e.latents_sha256 = sha256_of(outputs.latents.to(torch::kFloat).cpu());
  }
  return e;
}

GateReference baseline_outputs_of(const RunnerResult& result, const std::string& source) {
  GateReference outputs;
  outputs.source = source;
  outputs.md5s = result.baseline_md5s;
  outputs.chains = result.baseline_chains;
  outputs.video_u8 = result.baseline_video;
  outputs.latents = result.baseline_latents;
  outputs.steps_per_chunk = result.steps_per_chunk;
  return outputs;
}

BaselineEntry baseline_entry_of(const RunnerResult& result, const std::string& baseline_path) {
  return baseline_entry_of(result.fingerprint, baseline_outputs_of(result, ""), baseline_path);
}

std::string ledger_baseline_path(const std::string& ledger_path) {
  const fs::path p(ledger_path);
  return (p.parent_path() / (p.stem().string() + "-baseline.json")).string();
}

void lock_beside_ledger(const std::string& ledger_path, const MatrixSpec& spec, const nlohmann::json& fingerprint,
                        const GateReference& outputs) {
  BaselineFile file;
  file.path = ledger_baseline_path(ledger_path);
  file.matrix = spec.to_json();
  const BaselineEntry e = baseline_entry_of(fingerprint, outputs, file.path);
  write_baseline(file, e, outputs.video_u8, outputs.latents);
}

GateReference read_ledger_lock(const std::string& ledger_path, const std::string& fingerprint_key, std::string& why) {
  const std::string path = ledger_baseline_path(ledger_path);
  GateReference ref;
  if (!fs::exists(path)) {
    why = "no " + path;
    return ref;
  }
  try {
    const BaselineFile file = read_baseline(path);
    const BaselineEntry* e = file.find(fingerprint_key);
    if (!e) {
      why = path + " holds no entry for this fingerprint [" + fingerprint_key + "]";
      return ref;
    }
    ref = e->reference("the baseline lock " + path + " [" + e->key + "]", read_baseline_video(file, *e),
                       read_baseline_latents(file, *e));
    why.clear();
  } catch (const std::exception& ex) {
    why = ex.what();  // e.g. its video file did not come back from the machine that wrote it
    ref = GateReference{};
  }
  return ref;
}

}  // namespace ablate
