// Image files: PNG pixels exact (every colour type converted as PIL 9.4's convert("RGB") gives
// them), JPEG decoded as PIL decodes it (files made by PIL 9.4, pixels' MD5 from PIL), a quality-100
// JPEG round trip, the reference's three fp32 ops to [-1, 1], the CPU bicubic resize against
// torch's own kernel and an independent one, and the messages for bad files.
#include "core/io/image_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#ifdef ABLATE_HAVE_PNG
#include <png.h>
#include <zlib.h>
#endif
#ifdef ABLATE_HAVE_JPEG
#include <jpeglib.h>
#endif

#include "core/error.h"
#include "core/io/npy.h"
#include "core/video_hash.h"
#include "tests/cli_test_util.h"

namespace ablate::io {
namespace image_file_test {

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

using testing::usage_error_of;

// A deterministic [H, W, 3] uint8 image with every byte value mixed in.
torch::Tensor pattern(int64_t h, int64_t w) {
  auto y = torch::arange(h, torch::kLong).view({h, 1, 1}), x = torch::arange(w, torch::kLong).view({1, w, 1});
  auto c = torch::arange(3, torch::kLong).view({1, 1, 3});
  return ((x * 37 + y * 101 + c * 59 + x * y * 7) % 256).to(torch::kByte);
}

// Smooth content for lossy round trips.
[[maybe_unused]] torch::Tensor smooth(int64_t h, int64_t w) {
  auto y = torch::linspace(0, 1, h).view({h, 1}), x = torch::linspace(0, 1, w).view({1, w});
  auto r = 40 + 170 * x * (1 - 0.3 * y), g = 60 + 120 * y, b = 200 - 150 * x * y;
  return torch::stack({r.expand({h, w}), g.expand({h, w}), b.expand({h, w})}, -1).round().to(torch::kByte);
}

[[maybe_unused]] double psnr(const torch::Tensor& a, const torch::Tensor& b) {
  const double mse = (a.to(torch::kDouble) - b.to(torch::kDouble)).pow(2).mean().item<double>();
  return 10 * std::log10(255.0 * 255.0 / mse);
}

class ImageFileTest : public ::testing::Test {
 protected:
  std::string dir_ = testing::make_scratch_dir("image_file");
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
};

#ifdef ABLATE_HAVE_PNG
// A PNG written by libpng: 8-bit RGB, optionally Adam7-interlaced.
std::string encode_png(const torch::Tensor& rgb, bool interlaced) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(png, &out, [](png_structp p, png_bytep data, size_t n) {
    static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<const char*>(data), n);
  }, nullptr);
  const auto h = static_cast<png_uint_32>(rgb.size(0)), w = static_cast<png_uint_32>(rgb.size(1));
  png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  auto c = rgb.contiguous();
  std::vector<png_bytep> rows(h);
  for (png_uint_32 y = 0; y < h; ++y) rows[y] = c.data_ptr<uint8_t>() + y * w * 3;
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// A PNG assembled chunk by chunk, for the colour types and depths libpng's writer would need
// transforms for. rows: the unfiltered scanlines (filter byte 0 is added).
std::string raw_png(uint32_t w, uint32_t h, int depth, int color_type, const std::vector<std::string>& rows,
                    const std::string& plte = "", const std::string& trns = "") {
  auto be32 = [](uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                       static_cast<char>(v)};
  };
  auto chunk = [&](const std::string& type, const std::string& data) {
    const std::string body = type + data;
    const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    return be32(static_cast<uint32_t>(data.size())) + body + be32(static_cast<uint32_t>(crc));
  };
  std::string raw;
  for (const auto& r : rows) raw += std::string(1, '\0') + r;
  std::string z(compressBound(raw.size()), '\0');
  uLongf zlen = z.size();
  compress(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(raw.data()), raw.size());
  z.resize(zlen);
  std::string ihdr = be32(w) + be32(h);
  ihdr += {static_cast<char>(depth), static_cast<char>(color_type), 0, 0, 0};
  std::string png = "\x89PNG\r\n\x1a\n" + chunk("IHDR", ihdr);
  if (!plte.empty()) png += chunk("PLTE", plte);
  if (!trns.empty()) png += chunk("tRNS", trns);
  return png + chunk("IDAT", z) + chunk("IEND", "");
}

std::string be16(std::initializer_list<unsigned> values) {
  std::string out;
  for (unsigned v : values) out += {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
  return out;
}

std::vector<int> flat(const torch::Tensor& t) {
  auto c = t.contiguous();
  return std::vector<int>(c.data_ptr<uint8_t>(), c.data_ptr<uint8_t>() + c.numel());
}
#endif

#ifdef ABLATE_HAVE_JPEG
std::string encode_jpeg(const torch::Tensor& pixels, int quality, J_COLOR_SPACE space) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buf, &size);
  cinfo.image_width = static_cast<JDIMENSION>(pixels.size(1));
  cinfo.image_height = static_cast<JDIMENSION>(pixels.size(0));
  cinfo.input_components = static_cast<int>(pixels.size(2));
  cinfo.in_color_space = space;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  auto c = pixels.contiguous();
  const size_t row_bytes = static_cast<size_t>(pixels.size(1) * pixels.size(2));
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = c.data_ptr<uint8_t>() + cinfo.next_scanline * row_bytes;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buf), size);
  free(buf);
  return out;
}

std::string from_hex(const char* hex) {
  std::string out;
  for (size_t i = 0; hex[i] && hex[i + 1]; i += 2)
    out.push_back(static_cast<char>(std::stoi(std::string(hex + i, 2), nullptr, 16)));
  return out;
}

// Made by PIL 9.4 (Debian 12, libjpeg-turbo 2.1.5) from a 13x10 pattern:
// Image.fromarray(rgb).save(f, "JPEG", quality=90, subsampling=2) (4:2:0), the same with
// quality=85, progressive=True, and the G plane alone as greyscale at quality=90.
const char* kBaseline420 =
    "ffd8ffe000104a46494600010100000100010000ffdb0043000302020302020303030304030304050805050404050a070706080c"
    "0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ffdb00430103040405040509050509"
    "140d0b0d141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414141414"
    "1414ffc0001108000a000d03012200021101031101ffc4001f000001050101010101010000000000000000010203040506070809"
    "0a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c115"
    "52d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a"
    "737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9ca"
    "d2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffc4001f01000301010101010101010100000000000001"
    "02030405060708090a0bffc400b51100020102040403040705040400010277000102031104052131061241510761711322328108"
    "144291a1b1c109233352f0156272d10a162434e125f11718191a262728292a35363738393a434445464748494a53545556575859"
    "5a636465666768696a737475767778797a82838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9"
    "bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9faffda000c03010002110311003f00f2"
    "dfd963e1d5e5beb9651dcd999d55d4798386c67bfa9fcabeabf02f8cac647d6f5a58ceb4baa5f48f6ecc0dbbadac67cbb7250464"
    "e0c6aa06403f21ce4e6b82fd98a24b7f115ab448b131600941838cfb57cedfb422adcf877e1ff9c04bb6c67c6f19c7cebeb5ebd2"
    "857e37ce56575ea7bb2f753a8bda38a8c673de2e94e57704b59fdf641278a593e26a602afb1aedd2829a8a972a973ce5eecb477f"
    "66976d6fba47ffd9";
const char* kProgressive420 =
    "ffd8ffe000104a46494600010100000100010000ffdb0043000503040404030504040405050506070c08070707070f0b0b090c11"
    "0f1212110f111113161c1713141a1511111821181a1d1d1f1f1f13172224221e241c1e1f1effdb0043010505050706070e08080e"
    "1e1411141e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e"
    "1e1effc2001108000a000d03012200021101031101ffc4001500010100000000000000000000000000000506ffc4001501010100"
    "000000000000000000000000000003ffda000c030100021003100000011ad0c96bbfffc4001a1000010501000000000000000000"
    "00000003000204052101ffda0008010100010502a48eee12319aa970b6da2fffc4001d1100010207000000000000000000000000"
    "010212000311142191c1ffda0008010301013f012fb759965aac0aecf23fffc4001d110001030501000000000000000000000001"
    "022151000405136141ffda0008010201013f0148564ae74a8f1de4f0f935ffc4001e100001030403000000000000000000000000"
    "01021103042141123352ffda0008010100063f026cb64a953b39bb1ac68482da7ca9ffc4001c1000010403010000000000000000"
    "0000000100112151314171b1ffda0008010100013f211966651a5992770188357880160d3a566bbabfffda000c03010002000300"
    "000010b3ffc400191101010100030000000000000000000000011121003181ffda0008010301013f1046cd4a060d31cd93dbd873"
    "ffc400191101000301010000000000000000000000011121310091ffda0008010201013f101d4da26a0682d30df5dfffc4001a10"
    "01010003010100000000000000000000011100213141c1ffda0008010100013f106ae004767dc38b0d1167747a21b8ed77704838"
    "289809c4c3a9a67fffd9";
const char* kGrey =
    "ffd8ffe000104a46494600010100000100010000ffdb0043000302020302020303030304030304050805050404050a070706080c"
    "0a0c0c0b0a0b0b0d0e12100d0e110e0b0b1016101113141515150c0f171816141812141514ffc0000b08000a000d01011100ffc4"
    "001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d"
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435"
    "363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798"
    "999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4"
    "f5f6f7f8f9faffda0008010100003f00f1cfd903e0dffc56d65fb8ff0096abdbdebecdfd95f4dff85d3a87c48f19c779fdb361a9"
    "6b8dfd9d7bf66f23ccb08f74567f26d52316f1c23e650c7196f98935c87ec816f17fc26d65fbb4ff005abfc23d6be21f8fb6f17f"
    "c280f82bfbb4fbdab7f08feed957ffd9";
#endif

TEST_F(ImageFileTest, PngPixelsExactPlainAndInterlaced) {
  if (!have_png_decoder()) GTEST_SKIP() << "this build lacks libpng";
#ifdef ABLATE_HAVE_PNG
  const auto rgb = pattern(17, 23);
  for (bool interlaced : {false, true}) {
    spit(path("a.png"), encode_png(rgb, interlaced));
    const auto back = read_image_rgb(path("a.png"));
    EXPECT_EQ(back.scalar_type(), torch::kByte);
    EXPECT_EQ(back.sizes(), torch::IntArrayRef({17, 23, 3}));
    EXPECT_TRUE(torch::equal(back, rgb)) << "interlaced " << interlaced;
  }
#endif
}

TEST_F(ImageFileTest, PngColourTypesConvertAsPil) {
  if (!have_png_decoder()) GTEST_SKIP() << "this build lacks libpng";
#ifdef ABLATE_HAVE_PNG
  // expected: Image.open(f).convert("RGB") with PIL 9.4 on the same files
  struct Case {
    const char* name;
    std::string png;
    std::vector<int> rgb;
  };
  const std::vector<Case> cases = {
      {"rgb16", raw_png(2, 1, 16, 2, {be16({0x1234, 0x80ff, 0xffff, 0x00ff, 0x0100, 0x7f80})}),
       {18, 128, 255, 0, 1, 127}},
      {"grey+alpha16", raw_png(2, 1, 16, 4, {be16({0x1234, 0x8000, 0xabcd, 0x0001})}), {18, 18, 18, 171, 171, 171}},
      {"rgba16", raw_png(1, 1, 16, 6, {be16({0x1234, 0x80ff, 0xfe01, 0x0001})}), {18, 128, 254}},
      {"rgba8", raw_png(2, 1, 8, 6, {std::string("\x01\x02\x03\x00\xfa\xfb\xfc\x80", 8)}), {1, 2, 3, 250, 251, 252}},
      {"grey2", raw_png(4, 1, 2, 0, {std::string(1, '\x1b')}), {0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255}},
      {"grey4", raw_png(2, 1, 4, 0, {std::string(1, '\x0f')}), {0, 0, 0, 255, 255, 255}},
      {"grey1", raw_png(8, 1, 1, 0, {std::string(1, '\xa0')}),
       {255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
      {"palette4+tRNS", raw_png(2, 1, 4, 3, {std::string(1, '\x12')}, std::string("\x0a\x14\x1e\x28\x32\x3c\x46\x50\x5a", 9),
                                std::string("\x00\x80", 2)),
       {40, 50, 60, 70, 80, 90}},
      {"grey8+tRNS", raw_png(2, 1, 8, 0, {std::string("\x05\xc8", 2)}, "", be16({5})), {5, 5, 5, 200, 200, 200}},
      {"grey16 (PIL mode I, clipped)", raw_png(4, 1, 16, 0, {be16({0, 100, 1000, 65535})}),
       {0, 0, 0, 100, 100, 100, 255, 255, 255, 255, 255, 255}},
  };
  for (const auto& c : cases) {
    spit(path("c.png"), c.png);
    const auto rgb = read_image_rgb(path("c.png"));
    EXPECT_EQ(rgb.size(2), 3) << c.name;
    EXPECT_EQ(flat(rgb), c.rgb) << c.name;
  }
#endif
}

TEST_F(ImageFileTest, JpegDecodesAsPil) {
  if (!have_jpeg_decoder()) GTEST_SKIP() << "this build lacks libjpeg";
#ifdef ABLATE_HAVE_JPEG
  // MD5 of np.asarray(Image.open(f).convert("RGB")).tobytes() with PIL 9.4
  const std::vector<std::pair<const char*, const char*>> cases = {
      {kBaseline420, "8b78cd81e848e36c3c85b53b3ec93242"},
      {kProgressive420, "ae7d1c4922795d7fa15cd27c8e14efc7"},
      {kGrey, "1ac8ed16ad30d85cd975d90506db3aa8"},
  };
  for (const auto& [hex, md5] : cases) {
    spit(path("p.jpg"), from_hex(hex));
    const auto rgb = read_image_rgb(path("p.jpg"));
    ASSERT_EQ(rgb.sizes(), torch::IntArrayRef({10, 13, 3}));
    EXPECT_EQ(tensor_md5(rgb), md5) << "first pixels " << rgb[0].slice(0, 0, 3);
  }
  // PIL's first three pixels of the baseline file, spelled out
  spit(path("p.jpg"), from_hex(kBaseline420));
  EXPECT_TRUE(torch::equal(read_image_rgb(path("p.jpg"))[0].slice(0, 0, 3),
                           torch::tensor({12, 5, 183, 20, 12, 194, 31, 21, 216}, torch::kByte).view({3, 3})));
#endif
}

TEST_F(ImageFileTest, JpegQuality100RoundTrip) {
  if (!have_jpeg_decoder()) GTEST_SKIP() << "this build lacks libjpeg";
#ifdef ABLATE_HAVE_JPEG
  // libjpeg's defaults (4:2:0) at quality 100 on smooth content: lossy only by rounding and the
  // chroma subsampling, > 40 dB
  const auto rgb = smooth(36, 52);
  spit(path("q.jpg"), encode_jpeg(rgb, 100, JCS_RGB));
  const auto back = read_image_rgb(path("q.jpg"));
  ASSERT_EQ(back.sizes(), rgb.sizes());
  EXPECT_GT(psnr(back, rgb), 40.0);
  // greyscale JPEG -> the grey value in R, G and B
  const auto grey = rgb.select(2, 1).unsqueeze(2).contiguous();
  spit(path("g.jpg"), encode_jpeg(grey, 100, JCS_GRAYSCALE));
  const auto g = read_image_rgb(path("g.jpg"));
  EXPECT_TRUE(torch::equal(g.select(2, 0), g.select(2, 1)));
  EXPECT_TRUE(torch::equal(g.select(2, 0), g.select(2, 2)));
  EXPECT_GT(psnr(g.select(2, 0), grey.squeeze(2)), 45.0);
#endif
}

TEST_F(ImageFileTest, UnitRangeIsThreeSeparateFp32Ops) {
  auto values = torch::arange(256, torch::kLong).to(torch::kByte).view({1, 256, 1}).expand({1, 256, 3}).contiguous();
  values.select(2, 1).fill_(7);
  const auto t = image_to_unit_range(values);
  ASSERT_EQ(t.sizes(), torch::IntArrayRef({3, 1, 256}));
  ASSERT_EQ(t.scalar_type(), torch::kFloat);
  int folded_differs = 0;
  for (int v = 0; v < 256; ++v) {
    const float expected = ((static_cast<float>(v) / 255.0f) - 0.5f) / 0.5f;
    EXPECT_EQ(t[0][0][v].item<float>(), expected) << v;
    EXPECT_EQ(t[2][0][v].item<float>(), expected) << v;
    folded_differs += static_cast<float>(v) * (2.0f / 255.0f) - 1.0f != expected;
  }
  EXPECT_EQ(t[1][0][0].item<float>(), ((7.0f / 255.0f) - 0.5f) / 0.5f);
  EXPECT_GT(folded_differs, 0);  // the folded u8*(2/255)-1 would give other bits
  EXPECT_EQ(t.min().item<float>(), -1.0f);
  EXPECT_EQ(t.max().item<float>(), 1.0f);
}

// Independent CPU bicubic (A = -0.75, source (dst + 0.5) * in/out - 0.5, border-clamped taps), in double.
torch::Tensor bicubic_reference(const torch::Tensor& img, int64_t oh, int64_t ow) {
  const int64_t c = img.size(0), h = img.size(1), w = img.size(2);
  auto src = img.to(torch::kDouble).contiguous();
  auto a = src.accessor<double, 3>();
  auto out = torch::empty({c, oh, ow}, torch::kDouble);
  auto o = out.accessor<double, 3>();
  auto weights = [](double t, double wts[4]) {
    const double A = -0.75;
    auto near = [&](double x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };
    auto far = [&](double x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };
    wts[0] = far(t + 1); wts[1] = near(t); wts[2] = near(1 - t); wts[3] = far(2 - t);
  };
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t x = 0; x < ow; ++x) {
        const double sy = (y + 0.5) * (static_cast<double>(h) / oh) - 0.5;
        const double sx = (x + 0.5) * (static_cast<double>(w) / ow) - 0.5;
        const int64_t iy = static_cast<int64_t>(std::floor(sy)), ix = static_cast<int64_t>(std::floor(sx));
        double wy[4], wx[4];
        weights(sy - iy, wy);
        weights(sx - ix, wx);
        double acc = 0;
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 4; ++j) {
            const int64_t yy = std::clamp<int64_t>(iy - 1 + i, 0, h - 1), xx = std::clamp<int64_t>(ix - 1 + j, 0, w - 1);
            acc += wy[i] * wx[j] * a[ch][yy][xx];
          }
        o[ch][y][x] = acc;
      }
  return out;
}

TEST_F(ImageFileTest, BicubicResizeIsTorchsCpuKernelWithoutClamp) {
  // a hard edge in [-1, 1]: bicubic overshoots past it, and the reference keeps that
  auto img = image_to_unit_range(pattern(29, 41));
  img.slice(2, 20).fill_(1.0f);
  img.slice(2, 0, 20).slice(1, 10, 20).fill_(-1.0f);
  for (auto [oh, ow] : {std::pair<int64_t, int64_t>{16, 24}, {48, 64}, {7, 41}}) {
    const auto out = resize_bicubic(img, oh, ow);
    ASSERT_EQ(out.sizes(), torch::IntArrayRef({3, oh, ow}));
    // bit for bit what torch's own CPU kernel gives (align_corners false, scales from the sizes)
    const auto direct = at::upsample_bicubic2d(img.unsqueeze(0), {oh, ow}, false).squeeze(0);
    EXPECT_TRUE(torch::equal(out, direct)) << oh << "x" << ow;
    // and the bicubic it should be: torch computes the source coordinate (up to ~40) and the tap
    // weights in fp32 (~4e-6 absolute error), times slopes up to ~2 at the edge: within 1e-5
    const double diff = (out.to(torch::kDouble) - bicubic_reference(img, oh, ow)).abs().max().item<double>();
    EXPECT_LT(diff, 1e-5) << oh << "x" << ow;
  }
  const auto up = resize_bicubic(img, 48, 64);
  EXPECT_GT(up.max().item<float>(), 1.0f);  // overshoot kept: no clamp
  EXPECT_LT(up.min().item<float>(), -1.0f);
}

// Pixels decoded elsewhere (the reference check writes PIL's) come in as [H, W, 3] uint8 .npy,
// bit for bit and with no decoder library; another dtype or shape is named.
TEST_F(ImageFileTest, NpyPixelsAreTakenAsTheyAre) {
  const auto img = pattern(5, 7);
  write_npy(path("pixels.npy"), img);
  const auto back = read_image_rgb(path("pixels.npy"));
  EXPECT_EQ(back.sizes(), torch::IntArrayRef({5, 7, 3}));
  EXPECT_EQ(back.scalar_type(), torch::kByte);
  EXPECT_TRUE(torch::equal(back, img));
  write_npy(path("float.npy"), img.to(torch::kFloat));
  EXPECT_NE(usage_error_of([&] { read_image_rgb(path("float.npy")); }).find("[H, W, 3] uint8"), std::string::npos);
  write_npy(path("grey.npy"), img.select(2, 0).contiguous());
  const std::string grey = usage_error_of([&] { read_image_rgb(path("grey.npy")); });
  EXPECT_NE(grey.find(path("grey.npy")), std::string::npos) << grey;
  EXPECT_NE(grey.find("[5, 7]"), std::string::npos) << grey;
}

TEST_F(ImageFileTest, BadFilesAreNamed) {
  const std::string missing = path("none.png");
  EXPECT_EQ(usage_error_of([&] { read_image_rgb(missing); }), "cannot open image " + missing + ": No such file or directory");
  spit(path("text.png"), "hello world");
  EXPECT_EQ(usage_error_of([&] { read_image_rgb(path("text.png")); }),
            path("text.png") + ": not a PNG, JPEG or .npy image (expected the signature 89 50 4e 47, ff d8 ff or 93 4e "
                               "55 4d 50 59, found bytes 68 65 6c 6c 6f 20 77 6f)");
  spit(path("empty.jpg"), "");
  EXPECT_NE(usage_error_of([&] { read_image_rgb(path("empty.jpg")); }).find("found an empty file"), std::string::npos);
#ifdef ABLATE_HAVE_PNG
  const std::string png = encode_png(pattern(8, 8), false);
  spit(path("cut.png"), png.substr(0, png.size() / 2));
  EXPECT_EQ(usage_error_of([&] { read_image_rgb(path("cut.png")); }),
            path("cut.png") + ": not a readable PNG file (libpng: the file is truncated)");
  std::string bad_crc = png;
  bad_crc[29] ^= 0x55;  // the IHDR CRC
  spit(path("crc.png"), bad_crc);
  EXPECT_NE(usage_error_of([&] { read_image_rgb(path("crc.png")); }).find(path("crc.png") + ": not a readable PNG file (libpng: "),
            std::string::npos);
#endif
#ifdef ABLATE_HAVE_JPEG
  const std::string jpg = encode_jpeg(smooth(16, 16), 90, JCS_RGB);
  spit(path("cut.jpg"), jpg.substr(0, jpg.size() / 2));
  EXPECT_EQ(usage_error_of([&] { read_image_rgb(path("cut.jpg")); }),
            path("cut.jpg") + ": not a readable JPEG file (libjpeg: Premature end of JPEG file)");
  auto cmyk = torch::full({8, 8, 4}, 100, torch::kByte);
  spit(path("cmyk.jpg"), encode_jpeg(cmyk, 90, JCS_CMYK));
  EXPECT_EQ(usage_error_of([&] { read_image_rgb(path("cmyk.jpg")); }),
            path("cmyk.jpg") + ": CMYK/YCCK JPEG files are not supported (expected a YCbCr, RGB or greyscale JPEG); "
                               "convert it to RGB first");
#endif
}

}  // namespace image_file_test
}  // namespace ablate::io
