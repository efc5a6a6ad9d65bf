// The gate: one rule, shared by `ablate run`, `ablate check` and `ablate search`, for whether a
// combination's output is acceptable against the reference output (a locked baseline, or the run's
// own baseline combination). Tier A must reproduce every request's MD5; tier B must stay within
// the loosest bound of its tier-B strategies; the ranks must agree on their final latents.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ablate {

// What the output of one combination (per request of the workload's cycle) is compared against.
struct GateReference {
  std::string source;                            // "baseline file [key]" | "this run's baseline combination"
  std::vector<std::string> md5s;                 // per request index
  std::vector<std::vector<std::string>> chains;  // per request index; empty when only MD5s are known
  torch::Tensor video_u8;                        // request 0's video (tier-B distances), may be undefined
  torch::Tensor latents;                         // request 0's final latents (float32, CPU), may be undefined
  int64_t steps_per_chunk = 4;
  bool set() const { return !md5s.empty(); }
};

// One combination's outputs, per request index.
struct GateCandidate {
  std::vector<std::string> md5s;
  std::vector<std::vector<std::string>> chains;
  torch::Tensor video_u8;                        // request 0's video, when kept
  torch::Tensor latents;                         // request 0's final latents (float32, CPU), when kept
  std::vector<std::string> rank_latent_md5s;     // each rank's final-latent MD5 (request 0)
  std::string tier = "A";
  std::map<std::string, std::string> values;     // the combination's strategy values (tier-B bound)
};

// The gate's findings (recorded in the ledger).
struct GateFindings {
  std::string reference;                                       // what was compared with ("" = nothing)
  std::optional<bool> md5_ok;                                  // every request's MD5 as the reference's
  std::optional<int64_t> failing_request;                      // the first request whose MD5 differs
  std::optional<std::pair<int64_t, int64_t>> first_divergence;  // (chunk, step) of its first differing x0
  std::optional<double> psnr_db;                               // request 0's video PSNR (inf: equal)
  std::optional<int64_t> max_abs_u8;
  std::optional<double> min_frame_psnr_db;                     // request 0's worst frame PSNR (inf: equal)
  std::optional<double> latent_rel_l2;                         // request 0's final latents, relative L2 error
  struct Bound {
    double min_psnr_db = 0;
    int64_t max_abs_u8 = 255;
    bool within = false;
    double min_frame_psnr_db = 0;  // the measures a bound holds only when both outputs had them
    double max_latent_rel_l2 = 1e9;
  };
  std::optional<Bound> bound;                                  // tier B: the bound and whether it held
  std::optional<bool> ranks_agree;                             // world > 1: every rank's latents equal
};

// The bound a tier-B combination is held to: the loosest bound (lowest PSNR and frame PSNR, largest
// max |diff| and latent relative L2) of the tier-B strategies among `values`.
GateFindings::Bound tier_b_bound(const std::map<std::string, std::string>& values);

// Compares `candidate` with `reference` (when set) and records what differs.
GateFindings judge_output(const GateReference& reference, const GateCandidate& candidate);

struct GateVerdict {
  bool pass = true;
  std::string reason;  // why it failed ("" when it passed)
};
// The rule: ranks must agree; tier A must keep every MD5; tier B must be within its bound.
GateVerdict gate_verdict(const std::string& tier, const GateFindings& findings);

}  // namespace ablate
