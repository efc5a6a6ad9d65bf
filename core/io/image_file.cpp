#include "core/io/image_file.h"

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#ifdef ABLATE_HAVE_PNG
#include <png.h>
#endif
#ifdef ABLATE_HAVE_JPEG
#include <jpeglib.h>
#include <jerror.h>  // JWRN_JPEG_EOF
#endif

#include "core/error.h"
#include "core/io/npy.h"

namespace ablate::io {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  ABLATE_USAGE_CHECK(in.good(), "cannot open image ", path, ": ", std::strerror(errno));
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

bool starts_with(const std::string& bytes, const char* magic, size_t n) {
  return bytes.size() >= n && std::memcmp(bytes.data(), magic, n) == 0;
}

// The decoders below use setjmp/longjmp, the libraries' error mechanism: everything that lives
// across the jump is in a caller-owned state struct, so no destructor is skipped.

#ifdef ABLATE_HAVE_PNG
struct PngState {
  const std::string* bytes = nullptr;
  size_t pos = 0;
  char message[256] = "";
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, channels = 0;
  std::vector<png_byte> pixels;
  std::vector<png_bytep> rows;
};

void png_on_error(png_structp png, png_const_charp msg) {
  auto* st = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(st->message, sizeof(st->message), "%s", msg);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}  // PIL ignores libpng-level warnings too

void png_read_memory(png_structp png, png_bytep out, size_t n) {
  auto* st = static_cast<PngState*>(png_get_io_ptr(png));
  if (st->pos + n > st->bytes->size()) png_error(png, "the file is truncated");
  std::memcpy(out, st->bytes->data() + st->pos, n);
  st->pos += n;
}

// Decodes into st (8-bit samples, or 16-bit big-endian for 16-bit grey); false on a libpng error.
bool png_decode(PngState& st) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, png_on_error, png_on_warning);
  if (png == nullptr) {
    std::snprintf(st.message, sizeof(st.message), "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, info ? &info : nullptr, nullptr);
    return false;
  }
  png_set_read_fn(png, &st, png_read_memory);
  png_read_info(png, info);
  const int color_type = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  // 16-bit: the high byte, as PIL's ";16B" unpackers; 16-bit grey stays 16-bit (clipped below)
  if (depth == 16 && color_type != PNG_COLOR_TYPE_GRAY) png_set_strip_16(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  st.width = png_get_image_width(png, info);
  st.height = png_get_image_height(png, info);
  st.bit_depth = png_get_bit_depth(png, info);
  st.channels = png_get_channels(png, info);
  const size_t row_bytes = png_get_rowbytes(png, info);
  st.pixels.resize(row_bytes * st.height);
  st.rows.resize(st.height);
  for (png_uint_32 y = 0; y < st.height; ++y) st.rows[y] = st.pixels.data() + y * row_bytes;
  png_read_image(png, st.rows.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

torch::Tensor png_to_rgb(const std::string& path, const std::string& bytes) {
  PngState st;
  st.bytes = &bytes;
  ABLATE_USAGE_CHECK(png_decode(st), path, ": not a readable PNG file (libpng: ", st.message, ")");
  const int64_t h = st.height, w = st.width, c = st.channels;
  auto out = torch::empty({h, w, 3}, torch::kByte);
  uint8_t* dst = out.data_ptr<uint8_t>();
  const png_byte* src = st.pixels.data();
  if (st.bit_depth == 16) {  // grey only: PIL mode "I" -> RGB clips to 0..255
    for (int64_t i = 0; i < h * w; ++i) {
      const unsigned v = (static_cast<unsigned>(src[2 * i]) << 8) | src[2 * i + 1];
      dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = static_cast<uint8_t>(v > 255 ? 255 : v);
    }
    return out;
  }
  for (int64_t i = 0; i < h * w; ++i) {
    const png_byte* p = src + i * c;
    if (c <= 2) {  // grey (+ alpha)
      dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = p[0];
    } else {       // RGB (+ alpha): the alpha is dropped, never composited
      dst[3 * i] = p[0];
      dst[3 * i + 1] = p[1];
      dst[3 * i + 2] = p[2];
    }
  }
  return out;
}
#endif

#ifdef ABLATE_HAVE_JPEG
struct JpegState {
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX] = "";
  std::vector<JSAMPLE> pixels;
  bool cmyk = false;
};

void jpeg_on_error(j_common_ptr cinfo) {
  auto* st = reinterpret_cast<JpegState*>(cinfo->client_data);
  (*cinfo->err->format_message)(cinfo, st->message);
  std::longjmp(st->jump, 1);
}

void jpeg_on_message(j_common_ptr cinfo, int level) {
  // a file that ends early is an error (PIL: "image file is truncated"); other warnings are ignored
  if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) jpeg_on_error(cinfo);
}

bool jpeg_decode(const std::string& bytes, JpegState& st) {
  st.cinfo.err = jpeg_std_error(&st.err);
  st.err.error_exit = jpeg_on_error;
  st.err.emit_message = jpeg_on_message;
  st.cinfo.client_data = &st;
  if (setjmp(st.jump)) {
    jpeg_destroy_decompress(&st.cinfo);
    return false;
  }
  jpeg_create_decompress(&st.cinfo);
  st.cinfo.client_data = &st;
  jpeg_mem_src(&st.cinfo, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  jpeg_read_header(&st.cinfo, TRUE);
  if (st.cinfo.jpeg_color_space == JCS_CMYK || st.cinfo.jpeg_color_space == JCS_YCCK) {
    st.cmyk = true;
    jpeg_destroy_decompress(&st.cinfo);
    return false;
  }
  st.cinfo.out_color_space = JCS_RGB;  // dct_method and do_fancy_upsampling keep their defaults
  jpeg_start_decompress(&st.cinfo);
  const size_t row_bytes = static_cast<size_t>(st.cinfo.output_width) * 3;
  st.pixels.resize(row_bytes * st.cinfo.output_height);
  while (st.cinfo.output_scanline < st.cinfo.output_height) {
    JSAMPROW row = st.pixels.data() + st.cinfo.output_scanline * row_bytes;
    jpeg_read_scanlines(&st.cinfo, &row, 1);
  }
  jpeg_finish_decompress(&st.cinfo);
  jpeg_destroy_decompress(&st.cinfo);
  return true;
}

torch::Tensor jpeg_to_rgb(const std::string& path, const std::string& bytes) {
  auto st = std::make_unique<JpegState>();
  const bool ok = jpeg_decode(bytes, *st);
  ABLATE_USAGE_CHECK(!st->cmyk, path, ": CMYK/YCCK JPEG files are not supported (expected a YCbCr, RGB or "
                     "greyscale JPEG); convert it to RGB first");
  ABLATE_USAGE_CHECK(ok, path, ": not a readable JPEG file (libjpeg: ", st->message, ")");
  const int64_t h = st->cinfo.output_height, w = st->cinfo.output_width;
  auto out = torch::empty({h, w, 3}, torch::kByte);
  std::memcpy(out.data_ptr<uint8_t>(), st->pixels.data(), st->pixels.size());
  return out;
}
#endif

}  // namespace

bool have_png_decoder() {
#ifdef ABLATE_HAVE_PNG
  return true;
#else
  return false;
#endif
}

bool have_jpeg_decoder() {
#ifdef ABLATE_HAVE_JPEG
  return true;
#else
  return false;
#endif
}

torch::Tensor read_image_rgb(const std::string& path) {
  const std::string bytes = read_all(path);
  if (starts_with(bytes, "\x89PNG\r\n\x1a\n", 8)) {
#ifdef ABLATE_HAVE_PNG
    return png_to_rgb(path, bytes);
#else
    throw UsageError(path + ": PNG images need libpng, which this build lacks (install libpng-dev and rebuild)");
#endif
  }
  if (starts_with(bytes, "\x93NUMPY", 6)) {
    // pixels already decoded (e.g. by PIL, for a cross-check that must not depend on a decoder)
    return read_npy(path, NpyExpect{"image (--image .npy)", {torch::kByte}, {-1, -1, 3}, "[H, W, 3]"});
  }
  if (starts_with(bytes, "\xff\xd8\xff", 3)) {
#ifdef ABLATE_HAVE_JPEG
    return jpeg_to_rgb(path, bytes);
#else
    throw UsageError(path + ": JPEG images need libjpeg, which this build lacks (install libjpeg62-turbo-dev or "
                     "libjpeg-turbo8-dev and rebuild)");
#endif
  }
  std::ostringstream lead;
  lead << std::hex;
  for (size_t i = 0; i < std::min<size_t>(bytes.size(), 8); ++i)
    lead << (i ? " " : "") << static_cast<int>(static_cast<unsigned char>(bytes[i]));
  throw UsageError(path + ": not a PNG, JPEG or .npy image (expected the signature 89 50 4e 47, ff d8 ff or 93 4e 55 4d 50 59, found " +
                   (bytes.empty() ? std::string("an empty file") : "bytes " + lead.str()) + ")");
}

torch::Tensor image_to_unit_range(const torch::Tensor& rgb) {
  TORCH_CHECK(rgb.dim() == 3 && rgb.size(2) == 3 && rgb.scalar_type() == torch::kByte,
              "image_to_unit_range: expected [H, W, 3] uint8, got ", rgb.sizes(), " ", rgb.scalar_type());
  // to_tensor: permute to CHW, contiguous, .to(float32).div(255); then .sub_(0.5).div_(0.5)
  auto chw = rgb.cpu().permute({2, 0, 1}).contiguous().to(torch::kFloat).div(255);
  return chw.sub_(0.5).div_(0.5);
}

torch::Tensor resize_bicubic(const torch::Tensor& image, int64_t height, int64_t width) {
  namespace F = torch::nn::functional;
  TORCH_CHECK(image.dim() == 3 && image.scalar_type() == torch::kFloat, "resize_bicubic: expected [C, H, W] "
              "float32, got ", image.sizes(), " ", image.scalar_type());
  return F::interpolate(image.cpu().unsqueeze(0), F::InterpolateFuncOptions()
                                                      .size(std::vector<int64_t>{height, width})
                                                      .mode(torch::kBicubic)
                                                      .align_corners(false))
      .squeeze(0);
}

}  // namespace ablate::io
