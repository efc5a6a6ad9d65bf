// PNG write/read with libpng's classic API. libpng reports errors by longjmp, so every libpng call
// sits in a C-style function whose locals are trivially destructible; the C++ side throws after it
// returns.
#include "core/io/png_file.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/error.h"

#ifdef ABLATE_HAVE_PNG
#include <png.h>
#include <csetjmp>
#endif

namespace ablate::io {

#ifdef ABLATE_HAVE_PNG

bool png_available() { return true; }

namespace {

struct PngErrorSink {
  char message[256];
};

void on_png_error(png_structp png, png_const_charp message) {
  auto* sink = static_cast<PngErrorSink*>(png_get_error_ptr(png));
  std::snprintf(sink->message, sizeof(sink->message), "%s", message);
  longjmp(png_jmpbuf(png), 1);
}

void on_png_warning(png_structp, png_const_charp) {}

struct FileCloser {
  FILE* f;
  ~FileCloser() {
    if (f != nullptr) std::fclose(f);
  }
};

// rows: h pointers to w * channels bytes each
bool write_png_c(FILE* file, png_bytep* rows, png_uint_32 w, png_uint_32 h, int color_type, png_text* texts,
                 int text_count, PngErrorSink* sink) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, sink, on_png_error, on_png_warning);
  if (png == nullptr) {
    std::snprintf(sink->message, sizeof(sink->message), "png_create_write_struct failed");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return false;
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, w, h, 8, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  if (text_count > 0) png_set_text(png, info, texts, text_count);
  png_write_info(png, info);
  png_write_image(png, rows);
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return true;
}

struct PngReadResult {
  unsigned char* pixels;  // malloc'd, h * w * channels bytes
  png_uint_32 width, height;
  int channels;
  png_textp texts;  // owned by libpng: valid until the read struct is destroyed
  int text_count;
};

// Reads the whole image; `keep_texts` is called with the text chunks before libpng frees them.
template <typename KeepTexts>
bool read_png_c(FILE* file, PngReadResult* out, PngErrorSink* sink, KeepTexts&& keep_texts) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, sink, on_png_error, on_png_warning);
  if (png == nullptr) {
    std::snprintf(sink->message, sizeof(sink->message), "png_create_read_struct failed");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  png_bytep* volatile rows = nullptr;
  out->pixels = nullptr;
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    std::free(rows);
    std::free(out->pixels);
    out->pixels = nullptr;
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_init_io(png, file);
  png_read_info(png, info);
  png_set_expand(png);    // palette -> RGB, grey < 8 bit -> 8 bit, tRNS -> alpha
  png_set_strip_16(png);  // 16-bit -> high byte
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  out->width = png_get_image_width(png, info);
  out->height = png_get_image_height(png, info);
  out->channels = png_get_channels(png, info);
  const size_t row_bytes = png_get_rowbytes(png, info);
  out->pixels = static_cast<unsigned char*>(std::malloc(row_bytes * out->height + 1));
  rows = static_cast<png_bytep*>(std::malloc(sizeof(png_bytep) * (out->height + 1)));
  if (out->pixels == nullptr || rows == nullptr) png_error(png, "out of memory");
  for (png_uint_32 y = 0; y < out->height; ++y) rows[y] = out->pixels + y * row_bytes;
  png_read_image(png, rows);
  png_read_end(png, info);  // text chunks after the image data land in info too
  out->text_count = png_get_text(png, info, &out->texts, nullptr);
  keep_texts(out->texts, out->text_count);
  std::free(rows);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

}  // namespace

void write_png(const std::string& path, const torch::Tensor& image, const std::vector<PngText>& text) {
  TORCH_CHECK(image.dim() == 3 && image.scalar_type() == torch::kUInt8,
              "write_png: expected a [H, W, C] uint8 image, but got ", image.sizes(), " ", image.scalar_type());
  const int64_t h = image.size(0), w = image.size(1), c = image.size(2);
  TORCH_CHECK(c == 1 || c == 3 || c == 4, "write_png: expected 1, 3 or 4 channels, but got ", c);
  TORCH_CHECK(h >= 1 && w >= 1 && h <= 0x7FFFFFFF && w <= 0x7FFFFFFF, "write_png: bad image size ", image.sizes());
  const torch::Tensor pixels = image.to(torch::kCPU).contiguous();
  for (const auto& t : text) {
    TORCH_CHECK(!t.key.empty() && t.key.size() <= 79 && t.key.front() != ' ' && t.key.back() != ' ',
                "write_png: a tEXt keyword must have 1-79 characters without leading/trailing spaces, got '",
                t.key, "'");
  }
  std::vector<png_bytep> rows(static_cast<size_t>(h));
  for (int64_t y = 0; y < h; ++y) rows[static_cast<size_t>(y)] = pixels.data_ptr<uint8_t>() + y * w * c;
  std::vector<png_text> texts(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    texts[i] = png_text{};
    texts[i].compression = PNG_TEXT_COMPRESSION_NONE;
    texts[i].key = const_cast<char*>(text[i].key.c_str());
    texts[i].text = const_cast<char*>(text[i].value.c_str());
    texts[i].text_length = text[i].value.size();
  }
  FileCloser file{std::fopen(path.c_str(), "wb")};
  ABLATE_USAGE_CHECK(file.f != nullptr, "cannot create PNG file '", path, "': ", std::strerror(errno));
  const int color_type = c == 1 ? PNG_COLOR_TYPE_GRAY : c == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGBA;
  PngErrorSink sink{};
  const bool ok = write_png_c(file.f, rows.data(), static_cast<png_uint_32>(w), static_cast<png_uint_32>(h),
                              color_type, texts.data(), static_cast<int>(texts.size()), &sink);
  const bool closed = std::fclose(file.f) == 0;
  file.f = nullptr;
  TORCH_CHECK(ok, "writing PNG file '", path, "' failed: ", sink.message);
  ABLATE_USAGE_CHECK(closed, "writing PNG file '", path, "' failed: ", std::strerror(errno));
}

PngImage read_png(const std::string& path) {
  FileCloser file{std::fopen(path.c_str(), "rb")};
  ABLATE_USAGE_CHECK(file.f != nullptr, "cannot open PNG file '", path, "': ", std::strerror(errno));
  unsigned char signature[8] = {};
  const size_t got = std::fread(signature, 1, sizeof(signature), file.f);
  ABLATE_USAGE_CHECK(got == sizeof(signature) && png_sig_cmp(signature, 0, sizeof(signature)) == 0, "file '",
                     path, "' is not a PNG (no PNG signature)");
  std::rewind(file.f);
  PngImage image;
  PngReadResult result{};
  PngErrorSink sink{};
  const bool ok = read_png_c(file.f, &result, &sink, [&](png_textp texts, int count) {
    for (int i = 0; i < count; ++i) image.text.push_back(PngText{texts[i].key, std::string(texts[i].text)});
  });
  ABLATE_USAGE_CHECK(ok, "PNG file '", path, "' is damaged: ", sink.message);
  const int64_t h = result.height, w = result.width, c = result.channels;
  image.pixels = torch::from_blob(result.pixels, {h, w, c}, [](void* p) { std::free(p); }, torch::kUInt8);
  return image;
}

#else  // !ABLATE_HAVE_PNG

bool png_available() { return false; }

void write_png(const std::string& path, const torch::Tensor&, const std::vector<PngText>&) {
  throw UsageError("cannot write PNG file '" + path + "': this build has no libpng (install libpng-dev and rebuild)");
}

PngImage read_png(const std::string& path) {
  throw UsageError("cannot read PNG file '" + path + "': this build has no libpng (install libpng-dev and rebuild)");
}

#endif  // ABLATE_HAVE_PNG

}  // namespace ablate::io
