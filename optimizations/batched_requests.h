// batched_requests: B requests (seeds seed .. seed+B-1) in one generate(), as the reference's
// batched path runs them (Pipeline::generate_batch: one DiT forward per step for the whole batch,
// the VAE per request). It changes what a sample is: the runner and `ablate generate` take the
// batch from it (Strategy::requests_per_generate, as from --batch), and a matrix then records each
// combination's time per request (the generate() time / B, i.e. 1 / throughput) so that it can be
// compared with unbatched combinations.
//
// Tier B. Request k of a batch runs GEMMs over B*L rows instead of L: the BLAS (CPU) or cuBLAS
// (GPU) may pick other blocks and sum some rows in another order. Measured: at B = 2 on an H200
// every request is bit-identical to its unbatched run; at B = 4 the hash chains differ from the
// first step (E21); on the CPU (LibTorch 1.13) B = 2 and 3 differ by 1-2e-6 in the latents, 90 dB
// (PipelineBatchTest). Bound, with a wide margin over those: final latents within 1e-4 relative
// L2, the video above 60 dB and every frame above 55 dB; a logic error (another request's
// context, noise or cache) lands at O(0.1).
#pragma once
#include "optimizations/strategy.h"

namespace ablate::opt {

class BatchedRequestsStrategy : public Strategy {
 public:
  StrategyInfo info() const override;
  std::string validate(const std::string& value, const RunConfig& config) const override;
  void install(const std::string& value, Pipeline& pipeline, const InstallContext& ctx) override;
  nlohmann::json counters() const override;
  int64_t requests_per_generate(const std::string& value) const override;

 private:
  int64_t batch_ = 1;
};

}  // namespace ablate::opt
