// Video files through FFmpeg's libraries (libavformat, libavcodec, libswscale): write a generated
// video as H.264 (the container follows the file name: .mp4, .mkv, .mov, ...) and decode a file back
// to RGB frames (the tests, and anyone comparing a saved video).
//
// Pixels written are the project's MD5 bytes (core/video_hash.h video_to_uint8:
// round((clamp(x, -1, 1) + 1) * 127.5), half to even).
// Encoders, the first that opens and that the container takes:
//   lossy (default): libx264 (CRF 17, preset medium, yuv420p with BT.709 limited-range tags;
//                    yuv444p when H or W is odd), libopenh264, mpeg4;
//   lossless:        libx264rgb (QP 0, RGB: decodes to the exact pixels), ffv1, png.
//
// Built without FFmpeg (ABLATE_HAVE_FFMPEG unset), every function throws a UsageError saying so.
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace ablate::io {

/// True when this build links FFmpeg's libraries.
bool video_io_available();

struct VideoWriteOptions {
  int64_t fps = 16;       // the reference saves at 16 fps
  bool lossless = false;  // RGB-exact encoding (larger files; not every player shows H.264 RGB)
  int64_t crf = 17;       // libx264 quality in lossy mode (0-51, lower is better)
};

struct VideoWriteInfo {
  std::string encoder;  // the FFmpeg encoder used, e.g. "libx264"
  std::string pix_fmt;  // the coded pixel format, e.g. "yuv420p"
  int64_t frames = 0;
};

/// Writes `frames` [F, H, W, 3] uint8 RGB (CPU or any device). UsageError naming the file when it
/// cannot be created, the container is unknown, or no encoder in the list above works.
VideoWriteInfo write_video_frames(const std::string& path, const torch::Tensor& frames,
                                  const VideoWriteOptions& options = {});

/// Writes `video` [3, F, H, W] float in [-1, 1] (the generator's output) as uint8 by the MD5 rule.
VideoWriteInfo save_video(const std::string& path, const torch::Tensor& video, const VideoWriteOptions& options = {});

struct DecodedVideo {
  torch::Tensor frames;  // [F, H, W, 3] uint8 RGB, CPU
  double fps = 0;        // the stream's average frame rate (0 when the file does not say)
  std::string codec;     // the decoder used, e.g. "h264"
};

/// Decodes every frame of the file's best video stream. UsageError naming the file when it is
/// missing, not a media file, or has no decodable video stream.
DecodedVideo read_video(const std::string& path);

/// PSNR in dB of two uint8 tensors of one shape over all samples: 10 log10(255^2 / MSE);
/// +infinity when they are equal.
double psnr_db(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace ablate::io
