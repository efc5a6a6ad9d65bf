// fused_elementwise: the DiT block's elementwise chains as single CUDA kernels
// (optimizations/kernels/): the adaLN modulation written straight in the GEMMs' dtype, the gated
// residual adds, the camera modulation, the q/k RMSNorms (around the eager mean) and the causal RoPE. Eager, each op of a chain is its own
// pass over a [L, dim] float32 tensor (RoPE: through complex float64), and the modulation
// `modulation + e0` is materialized for all six chunks; fused, each chain is one pass.
// Tier A: every kernel does the eager ops' IEEE operations in their order, each rounded on its own
// (no FMA contraction), and rounds to bf16 as c10 does, so the bits are the eager ones. The MD5
// check verifies that claim on every run.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class FusedElementwiseStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

  // Fused kernel launches and calls left to the eager ops (inputs outside the kernels' layouts).
  struct Counts {
    int64_t modulate = 0, gated_residual = 0, cam_modulate = 0, rms_norm = 0, rope = 0, eager = 0;
  };

 private:
  Counts counts_;
};

}  // namespace ablate::opt
