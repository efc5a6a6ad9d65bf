// Still images for the first frame: PNG (libpng) and JPEG (libjpeg-turbo) files decoded to RGB the
// way the reference's Image.open(path).convert("RGB") gives them, and the reference's preprocessing
// (to_tensor, sub(0.5), div(0.5), CPU bicubic resize without antialiasing and without a clamp).
//
// Conversion to RGB, as PIL 9.4 does it (checked against it):
//   grey 1/2/4/8-bit: the value scaled to 8 bits (x255, x85, x17, x1) and repeated in R, G, B;
//   palette: the palette colour (a tRNS chunk is ignored); an alpha channel is dropped, never
//   composited; 16-bit RGB / RGBA / grey+alpha: the high byte of each sample;
//   16-bit grey without alpha: min(value, 255) (PIL opens it as mode "I" and clips to 8 bits).
//   JPEG: libjpeg's defaults as Pillow leaves them (JDCT_ISLOW, fancy upsampling) with output in
//   JCS_RGB; greyscale JPEGs repeated in R, G, B. CMYK/YCCK JPEGs are refused. No EXIF rotation.
#pragma once
#include <torch/torch.h>

#include <string>

namespace ablate::io {

/// Whether this build has libpng / libjpeg (without them the readers throw a UsageError saying so).
bool have_png_decoder();
bool have_jpeg_decoder();

/// Decodes a PNG or JPEG file (told apart by its first bytes) -> [H, W, 3] uint8 RGB, CPU. An .npy
/// file of [H, W, 3] uint8 is taken as the decoded pixels (no decoder library needed).
torch::Tensor read_image_rgb(const std::string& path);

/// TF.to_tensor(img).sub_(0.5).div_(0.5) as three fp32 ops, ((u8 / 255) - 0.5) / 0.5:
/// [H, W, 3] uint8 -> [3, H, W] float32 in [-1, 1], CPU.
torch::Tensor image_to_unit_range(const torch::Tensor& rgb);

/// F.interpolate(img[None], size=(height, width), mode='bicubic') on the CPU in fp32
/// (align_corners false, no antialias, no clamp): [3, H, W] float32 -> [3, height, width].
torch::Tensor resize_bicubic(const torch::Tensor& image, int64_t height, int64_t width);

}  // namespace ablate::io
