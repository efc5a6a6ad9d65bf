#include "optimizations/vae_stream.h"

namespace ablate::opt {

StrategyInfo VaeStreamStrategy::info() const {
  StrategyInfo i;
  i.name = "vae_stream";
  i.description =
      "VAE decode per chunk as it is denoised (feature cache carried over), on a side stream on CUDA; "
      "thread: issued from its own host thread";
  i.values = {"off", "on", "thread"};
  return i;
}

std::string VaeStreamStrategy::validate(const std::string& value, const RunConfig& config) const {
  if (value == "thread" && config.is_on("cudnn_benchmark"))
    return "vae_stream=thread cannot run with cudnn_benchmark: the autotuner's switch is process-wide, and set from "
           "the decode's thread it would also reach the DiT's convolutions; use vae_stream=on";
  return Strategy::validate(value, config);
}

void VaeStreamStrategy::install(const std::string& value, Pipeline& pipeline, const InstallContext&) {
  if (value == "off") return;
  auto& seams = pipeline.seams();
  seams.decode_schedule = DecodeSchedule::kPerChunk;
  side_stream_ = pipeline.options().device.is_cuda();
  seams.decode_side_stream = side_stream_;
  own_thread_ = value == "thread";
  seams.decode_own_thread = own_thread_;
  // with `thread` this runs on the decode's thread; counters() reads it after generate() drained it
  seams.on_chunk_decoded = [this](int64_t, const torch::Tensor&) { ++chunks_streamed_; };
}

nlohmann::json VaeStreamStrategy::counters() const {
  return {{"chunks_decoded_streamed", chunks_streamed_}, {"side_stream", side_stream_}, {"own_thread", own_thread_}};
}

ABLATE_DEFINE_STRATEGY(vae_stream, VaeStreamStrategy)

}  // namespace ablate::opt
