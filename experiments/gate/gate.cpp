#include "experiments/gate/gate.h"

#include <algorithm>
#include <cmath>

#include "experiments/gate/baseline.h"
#include "experiments/gate/quality.h"
#include "optimizations/registry.h"

namespace ablate {

GateFindings::Bound tier_b_bound(const std::map<std::string, std::string>& values) {
  GateFindings::Bound b;
  b.min_psnr_db = 1e9;
  b.max_abs_u8 = 0;
  b.min_frame_psnr_db = 1e9;
  b.max_latent_rel_l2 = 0;
  for (const auto& [name, value] : values) {
    const auto info = opt::strategy_info(name);
    if (info.tier != opt::Tier::kB || value == info.values.front()) continue;
    b.min_psnr_db = std::min(b.min_psnr_db, info.min_psnr_db);
    b.max_abs_u8 = std::max(b.max_abs_u8, info.max_abs_u8);
    b.min_frame_psnr_db = std::min(b.min_frame_psnr_db, info.min_frame_psnr_db);
    b.max_latent_rel_l2 = std::max(b.max_latent_rel_l2, info.max_latent_rel_l2);
  }
  return b;
}

GateFindings judge_output(const GateReference& ref, const GateCandidate& c) {
  GateFindings f;
  if (c.rank_latent_md5s.size() > 1)
    f.ranks_agree = std::all_of(c.rank_latent_md5s.begin(), c.rank_latent_md5s.end(),
                                [&](const std::string& m) { return m == c.rank_latent_md5s.front(); });
  if (!ref.set()) return f;
  f.reference = ref.source;
  const size_t n = std::min(ref.md5s.size(), c.md5s.size());
  for (size_t k = 0; k < n && !f.failing_request; ++k)
    if (ref.md5s[k] != c.md5s[k]) f.failing_request = static_cast<int64_t>(k);
  f.md5_ok = !f.failing_request;
  if (*f.md5_ok) return f;
  const auto k = static_cast<size_t>(*f.failing_request);
  if (k < ref.chains.size() && k < c.chains.size() && !ref.chains[k].empty())
    f.first_divergence = first_divergence(ref.chains[k], c.chains[k], ref.steps_per_chunk);
  if (ref.latents.defined() && c.latents.defined() && ref.latents.sizes() == c.latents.sizes())
    f.latent_rel_l2 = relative_l2(ref.latents, c.latents);
  if (ref.video_u8.defined() && c.video_u8.defined() && ref.video_u8.sizes() == c.video_u8.sizes()) {
    const auto d = video_distance(ref.video_u8, c.video_u8);
    f.psnr_db = d.psnr_db;
    f.max_abs_u8 = d.max_abs;
    f.min_frame_psnr_db = min_frame_psnr_db(ref.video_u8, c.video_u8);
    if (c.tier == "B") {
      auto bound = tier_b_bound(c.values);
      bound.within = d.psnr_db >= bound.min_psnr_db && d.max_abs <= bound.max_abs_u8 &&
                     *f.min_frame_psnr_db >= bound.min_frame_psnr_db &&
                     (!f.latent_rel_l2 || *f.latent_rel_l2 <= bound.max_latent_rel_l2);
      f.bound = bound;
    }
  }
  return f;
}

GateVerdict gate_verdict(const std::string& tier, const GateFindings& f) {
  if (f.ranks_agree && !*f.ranks_agree) return {false, "rank error: the ranks' final latents differ"};
  if (!f.md5_ok || *f.md5_ok) return {};
  const std::string request = f.failing_request && *f.failing_request > 0
                                  ? " (request " + std::to_string(*f.failing_request) + ")" : "";
  if (tier == "B") {
    if (f.bound && f.bound->within) return {};
    return {false, f.bound ? "tier B: outside its bound" + request : "tier B: no distance to judge the bound" + request};
  }
  return {false, "tier A: output differs from the reference" + request};
}

}  // namespace ablate
