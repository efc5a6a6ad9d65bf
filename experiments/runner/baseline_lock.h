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

// The entry of a result that kept the baseline's outputs. Its video and latents files are named
// after `baseline_path` and the fingerprint key; tiers are the caller's. write_baseline() stores it.
BaselineEntry baseline_entry_of(const RunnerResult& result, const std::string& baseline_path);

}  // namespace ablate
