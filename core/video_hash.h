// Output identity: the uint8 video and its MD5, and the per-step hash chain of the latents.
// Byte layout hashed: [F, H, W, 3] RGB, row-major, value round((clamp(x, -1, 1) + 1) * 127.5)
// with round-half-to-even (torch::round), from the [3, F, H, W] float32 video.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ablate {

// [3, F, H, W] float in [-1, 1] -> [F, H, W, 3] uint8 on the CPU
torch::Tensor video_to_uint8(const torch::Tensor& video);

std::string md5_hex(const void* data, size_t size);
std::string sha256_hex(const std::string& text);

// MD5 of a contiguous CPU tensor's bytes.
std::string tensor_md5(const torch::Tensor& t);

// chain[i] = md5(chain[i-1] ‖ bytes(latents[i])) with chain[-1] = "" (float32 bytes, CPU copies).
std::vector<std::string> hash_chain(const std::vector<torch::Tensor>& latents);

}  // namespace ablate
