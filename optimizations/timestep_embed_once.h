// timestep_embed_once: the time embedding and its 6-vector projection computed for one token and
// broadcast, instead of for every token (the reference's fp32 [L, dim] x [dim, 6 dim] GEMM, 1.42
// TFLOP per 14b forward, on identical rows). Tier A where the measured output keeps the MD5 (CPU
// test: tests/optimizations_test.cpp); a GEMM of one row may round differently from the same row
// inside a larger GEMM on other kernels, so the GPU tier is what the GPU run measures.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class TimestepEmbedOnceStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
};

}  // namespace ablate::opt
