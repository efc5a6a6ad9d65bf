#include "optimizations/text_encoder_resident.h"

namespace ablate::opt {

StrategyInfo TextEncoderResidentStrategy::info() const {
  StrategyInfo i;
  i.name = "text_encoder_resident";
  i.description = "T5 text encoder kept on the device where the workload offloads it (no weight copy per encode)";
  i.values = {"off", "on"};
  i.affects_build = true;  // where the encoder's weights live is decided when the engine is built
  return i;
}

void TextEncoderResidentStrategy::configure(const std::string& value, PipelineOptions& options) const {
  if (value == "on") options.offload_text_encoder = false;
}

void TextEncoderResidentStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  resident_ = value == "on" && !pipeline.text_encoder().offload();
}

nlohmann::json TextEncoderResidentStrategy::counters() const { return {{"resident", resident_}}; }

ABLATE_DEFINE_STRATEGY(text_encoder_resident, TextEncoderResidentStrategy)

}  // namespace ablate::opt
