// cudnn_benchmark: cuDNN's autotuner (torch.backends.cudnn.benchmark) on around the VAE's encode
// and decode: the first call of each conv shape times the algorithms and keeps the fastest. The
// reference leaves it off; the chosen algorithms may sum in another order: tier B. The process's
// setting is restored after each VAE call, so the DiT keeps its own.
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class CudnnBenchmarkStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
};

}  // namespace ablate::opt
