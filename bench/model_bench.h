// Micro-benchmarks of the model's parts on one device, on the weights of a preset's pipeline:
// one DiT block forward over a chunk, attention against a KV cache of growing length, VAE decode
// of one latent frame, text encode.
#pragma once
#include "bench/bench_options.h"

namespace ablate::bench {

// Builds the preset's pipeline once and registers dit_block, attention, vae_decode_frame, text_encode.
void register_model_benchmarks(const BenchOptions& options);

}  // namespace ablate::bench
