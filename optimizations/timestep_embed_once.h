// timestep_embed_once: the time embedding and its 6-vector projection computed for one token and
// broadcast, instead of for every token (the reference's fp32 [L, dim] x [dim, 6 dim] GEMM, 1.42
// TFLOP per 14b forward, on identical rows). Tier B: bit-identical on the CPU, not on CUDA.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class TimestepEmbedOnceStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
};

}  // namespace ablate::opt
