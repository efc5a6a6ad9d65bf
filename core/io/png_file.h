// PNG files through libpng: write an 8-bit grey / RGB / RGBA image with tEXt chunks, and read any
// PNG back as 8-bit samples (palette expanded, 16-bit stripped to the high byte). Used by the
// contact sheet, the difference heat map and the tests.
//
// Built without libpng (ABLATE_HAVE_PNG unset), both throw a UsageError saying so.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace ablate::io {

/// True when this build links libpng.
bool png_available();

/// One tEXt chunk: keyword (1-79 Latin-1 characters, no leading/trailing space) and text.
struct PngText {
  std::string key;
  std::string value;
};

struct PngImage {
  torch::Tensor pixels;       // [H, W, C] uint8, C = 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA)
  std::vector<PngText> text;  // tEXt/zTXt/iTXt chunks in file order
};

/// Writes `image` [H, W, C] uint8 (C in {1, 3, 4}, any device/layout; copied to contiguous CPU)
/// with the given text chunks. UsageError naming the file when it cannot be created; invalid
/// shapes or keys throw c10::Error.
void write_png(const std::string& path, const torch::Tensor& image, const std::vector<PngText>& text = {});

/// Reads a PNG. UsageError naming the file when it is missing or not a valid PNG.
PngImage read_png(const std::string& path);

}  // namespace ablate::io
