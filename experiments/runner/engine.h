// Turning a workload + a combination into a built pipeline with its strategies installed: the
// part of a matrix run that happens outside timed work.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/pipeline.h"
#include "experiments/runner/matrix_spec.h"
#include "optimizations/strategy.h"

namespace ablate {

// The pipeline options of `workload` on `device` (dtype default: fp32 on CPU, bf16 on CUDA).
PipelineOptions pipeline_options(const Workload& workload, torch::Device device, dist::Communicator* comm);

// The request generate() gets; `unique_index` >= 0 makes the prompt unique (prompt_mode unique).
GenerateRequest make_request(const Workload& workload, int world_size, int64_t unique_index = -1);

// One combination's strategy objects; they keep their state (cache counters) for the whole run.
struct InstalledStrategies {
  std::vector<std::pair<std::string, std::unique_ptr<opt::Strategy>>> strategies;
  Seams seams;  // the pipeline's seams after install(): assigned back on every switch to this combination
  double install_ms = 0;
  nlohmann::json counters() const;
};

// Applies configure() of every strategy in `values` to `options`.
void configure_strategies(const std::map<std::string, std::string>& values, PipelineOptions& options);

// Creates the strategies of `values`, installs them on `pipeline` (starting from default seams) and
// keeps the resulting seams.
InstalledStrategies install_strategies(const std::map<std::string, std::string>& values, Pipeline& pipeline,
                                       const GenerateRequest& request);

}  // namespace ablate
