// `ablate generate`'s files for a cross-check against another implementation (tools/reference_check):
// --noise DIR (every noise draw read from DIR instead of the seeded generator), --dump-intermediates
// DIR (generate()'s named intermediates written to DIR) and --token-ids FILE (the text encoder's ids).
// One .npy per name, as core/pipeline.h GenerateRequest::observe names them: noise_initial.npy,
// noise_c<c>_s<s>.npy, text_embedding.npy, control.npy, first_frame_latent.npy, dit_output_c<c>_s<s>.npy,
// x0_c<c>_s<s>.npy, latents.npy, video.npy. A dump is a valid --noise folder.
#pragma once
#include <string>

#include "core/pipeline.h"

namespace ablate {

/// The file of a draw: DIR/noise_initial.npy or DIR/noise_c<chunk>_s<step>.npy.
std::string noise_file(const std::string& dir, const NoiseDraw& draw);
/// Reads each draw from noise_file(dir, draw): float32 of the draw's shape, else a UsageError naming
/// the file, the expected and the found shape.
NoiseSource noise_from_folder(const std::string& dir);
/// Writes each observed tensor to DIR/<name>.npy as float32 (bf16 widened), on the CPU, C order.
/// The folder must exist.
TensorObserver dump_to_folder(const std::string& dir);

}  // namespace ablate
