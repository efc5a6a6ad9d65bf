// Locking a baseline: the baseline combination run once per request of the cycle, and the entry
// (MD5s, hash chains, video, final latents) a BaselineFile keeps of it. `ablate lock` and the
// search's tier-B gate both lock this way.
#pragma once
#include <string>

#include "experiments/gate/baseline.h"
#include "experiments/runner/runner.h"

namespace ablate {

// The matrix run_baseline_outputs() runs: `spec`'s workload, its baseline alone, no warm-up, one
// repetition per request of the cycle.
MatrixSpec baseline_outputs_spec(const MatrixSpec& spec);

// The baseline of `spec`'s workload, once per request of its cycle: no warm-up, no ledger, no sync
// audit; the result keeps the video and latents of request 0 (RunnerOptions::keep_video). On
// ranks other than 0 the result is empty.
RunnerResult run_baseline_outputs(const MatrixSpec& spec);

// The baseline's outputs a result kept (RunnerOptions::keep_video) as a gate reference.
GateReference baseline_outputs_of(const RunnerResult& result, const std::string& source);

// The entry of a baseline's outputs (`outputs`: MD5s and chains per request, request 0's video and
// final latents); its files are named after `baseline_path` and the fingerprint key.
BaselineEntry baseline_entry_of(const nlohmann::json& fingerprint, const GateReference& outputs,
                                const std::string& baseline_path);

// The baseline lock a ledger keeps beside itself, "<dir>/<ledger stem>-baseline.json" with its .u8
// video and .f32 latents. The runner writes it when it measures the baseline combination with a
// ledger (RunnerOptions::ledger_lock) and reads it when a run resumes or appends to that ledger: a
// tier-B combination measured in a later process is then judged by its distance to the baseline's
// outputs, which the ledger's MD5s alone cannot give.
std::string ledger_baseline_path(const std::string& ledger_path);
// Rank 0: writes `outputs` (the baseline's) as that lock, for `spec`'s workload.
void lock_beside_ledger(const std::string& ledger_path, const MatrixSpec& spec, const nlohmann::json& fingerprint,
                        const GateReference& outputs);
// The lock's reference for `fingerprint_key`, with `why` empty; or an unset reference and why not
// (no lock, no entry for this fingerprint, a file missing or changed: e.g. a lock whose video did
// not come back from another machine).
GateReference read_ledger_lock(const std::string& ledger_path, const std::string& fingerprint_key, std::string& why);

// The entry of a result that kept the baseline's outputs. Its video and latents files are named
// after `baseline_path` and the fingerprint key; tiers are the caller's. write_baseline() stores it.
BaselineEntry baseline_entry_of(const RunnerResult& result, const std::string& baseline_path);

}  // namespace ablate
