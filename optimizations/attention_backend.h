// attention_backend: which SDPA kernel computes the DiT's self- and cross-attention (flash,
// memory-efficient, cuDNN, math), through the DiT's attention seam (Seams::dit_kernels).
// "off" keeps the core's choice (SDPA's own dispatch on LibTorch 2.x, the math path on 1.13).
#pragma once
#include "core/compat.h"
#include "optimizations/strategy.h"

namespace ablate::opt {

class AttentionBackendStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;

  int64_t self_calls() const { return self_calls_; }
  int64_t cross_calls() const { return cross_calls_; }

 private:
  int64_t self_calls_ = 0, cross_calls_ = 0;
};

// "flash" | "efficient" | "cudnn" | "math" | "off" -> the backend; UsageError for anything else.
compat::SdpaBackend sdpa_backend_named(const std::string& value);

}  // namespace ablate::opt
