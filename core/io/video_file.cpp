// Video write/read with libavformat + libavcodec + libswscale (FFmpeg 5.x/6.x API).
#include "core/io/video_file.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "core/error.h"
#include "core/video_hash.h"

#ifdef ABLATE_HAVE_FFMPEG
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}
#endif

namespace ablate::io {

double psnr_db(const torch::Tensor& a, const torch::Tensor& b) {
  TORCH_CHECK(a.sizes() == b.sizes() && a.scalar_type() == torch::kUInt8 && b.scalar_type() == torch::kUInt8,
              "psnr_db: expected two uint8 tensors of one shape, but got ", a.sizes(), " ", a.scalar_type(),
              " and ", b.sizes(), " ", b.scalar_type());
  const auto diff = a.to(torch::kCPU, torch::kDouble) - b.to(torch::kCPU, torch::kDouble);
  const double mse = diff.pow(2).mean().item<double>();
  if (mse == 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(255.0 * 255.0 / mse);
}

VideoWriteInfo save_video(const std::string& path, const torch::Tensor& video, const VideoWriteOptions& options) {
  return write_video_frames(path, video_to_uint8(video), options);  // [F, H, W, 3] uint8
}

#ifdef ABLATE_HAVE_FFMPEG

bool video_io_available() { return true; }

namespace {

std::string av_error_text(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(err, buf, sizeof(buf));
  return buf;
}

// x264 and the decoders print their banners at AV_LOG_INFO; keep stderr for real problems.
void quiet_ffmpeg_logs() {
  static const bool once = [] {
    if (av_log_get_level() > AV_LOG_ERROR) av_log_set_level(AV_LOG_ERROR);
    return true;
  }();
  (void)once;
}

struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct OutputDeleter {
  void operator()(AVFormatContext* f) const {
    if (f->pb != nullptr && !(f->oformat->flags & AVFMT_NOFILE)) avio_closep(&f->pb);
    avformat_free_context(f);
  }
};
struct InputDeleter {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;

struct EncoderChoice {
  const char* name;
  AVPixelFormat pix_fmt;
};

// The candidates for one mode and frame size, in order of preference.
std::vector<EncoderChoice> encoder_candidates(bool lossless, int64_t h, int64_t w) {
  if (lossless) return {{"libx264rgb", AV_PIX_FMT_RGB24}, {"ffv1", AV_PIX_FMT_GBRP}, {"png", AV_PIX_FMT_RGB24}};
  const AVPixelFormat yuv = (h % 2 == 0 && w % 2 == 0) ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUV444P;
  return {{"libx264", yuv}, {"libopenh264", AV_PIX_FMT_YUV420P}, {"mpeg4", AV_PIX_FMT_YUV420P}};
}

// Opens `choice` for the frame size and rate, or returns null with the reason in `why`.
CodecContextPtr open_encoder(const EncoderChoice& choice, const AVOutputFormat* container, int64_t h, int64_t w,
                             const VideoWriteOptions& options, std::string& why) {
  const AVCodec* codec = avcodec_find_encoder_by_name(choice.name);
  if (codec == nullptr) {
    why = "not in this FFmpeg build";
    return nullptr;
  }
  if (avformat_query_codec(container, codec->id, FF_COMPLIANCE_NORMAL) != 1) {
    why = std::string("the ") + container->name + " container does not take it";
    return nullptr;
  }
  CodecContextPtr ctx(avcodec_alloc_context3(codec));
  TORCH_CHECK(ctx != nullptr, "avcodec_alloc_context3 failed");
  ctx->width = static_cast<int>(w);
  ctx->height = static_cast<int>(h);
  ctx->time_base = AVRational{1, static_cast<int>(options.fps)};
  ctx->framerate = AVRational{static_cast<int>(options.fps), 1};
  ctx->pix_fmt = choice.pix_fmt;
  ctx->gop_size = static_cast<int>(options.fps);
  if (choice.pix_fmt == AV_PIX_FMT_YUV420P || choice.pix_fmt == AV_PIX_FMT_YUV444P) {
    ctx->colorspace = AVCOL_SPC_BT709;
    ctx->color_primaries = AVCOL_PRI_BT709;
    ctx->color_trc = AVCOL_TRC_BT709;
    ctx->color_range = AVCOL_RANGE_MPEG;
  } else {
    ctx->colorspace = AVCOL_SPC_RGB;
    ctx->color_range = AVCOL_RANGE_JPEG;
  }
  if (container->flags & AVFMT_GLOBALHEADER) ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* opts = nullptr;
  const std::string name = choice.name;
  if (name == "libx264" || name == "libx264rgb") {
    av_dict_set(&opts, "preset", "medium", 0);
    if (options.lossless) av_dict_set(&opts, "qp", "0", 0);
    else av_dict_set(&opts, "crf", std::to_string(options.crf).c_str(), 0);
  } else if (name == "mpeg4") {
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = FF_QP2LAMBDA * 2;
  } else if (name == "libopenh264") {
    ctx->bit_rate = 8 * w * h * options.fps / 10;  // ~0.8 bit per pixel
  }
  const int err = avcodec_open2(ctx.get(), codec, &opts);
  av_dict_free(&opts);
  if (err < 0) {
    why = av_error_text(err);
    return nullptr;
  }
  return ctx;
}

// Sends `frame` (null: flush) and writes every packet the encoder gives back.
void encode_and_mux(AVCodecContext* ctx, AVFrame* frame, AVFormatContext* out, AVStream* stream,
                    const std::string& path) {
  int err = avcodec_send_frame(ctx, frame);
  TORCH_CHECK(err >= 0, "encoding '", path, "': avcodec_send_frame failed: ", av_error_text(err));
  PacketPtr packet(av_packet_alloc());
  while (true) {
    err = avcodec_receive_packet(ctx, packet.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
    TORCH_CHECK(err >= 0, "encoding '", path, "': avcodec_receive_packet failed: ", av_error_text(err));
    av_packet_rescale_ts(packet.get(), ctx->time_base, stream->time_base);
    packet->stream_index = stream->index;
    err = av_interleaved_write_frame(out, packet.get());
    TORCH_CHECK(err >= 0, "writing '", path, "' failed: ", av_error_text(err));
  }
}

// A converter between packed RGB24 and `yuv_or_rgb` with BT.709 limited range on the YUV side.
SwsPtr make_converter(int w, int h, AVPixelFormat src, AVPixelFormat dst, int src_full_range, int dst_full_range,
                      int colorspace) {
  SwsPtr sws(sws_getContext(w, h, src, w, h, dst, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr,
                            nullptr, nullptr));
  TORCH_CHECK(sws != nullptr, "sws_getContext failed for ", av_get_pix_fmt_name(src), " -> ", av_get_pix_fmt_name(dst));
  const int* coefficients = sws_getCoefficients(colorspace);
  sws_setColorspaceDetails(sws.get(), coefficients, src_full_range, coefficients, dst_full_range, 0, 1 << 16, 1 << 16);
  return sws;
}

}  // namespace

VideoWriteInfo write_video_frames(const std::string& path, const torch::Tensor& frames, const VideoWriteOptions& options) {
  quiet_ffmpeg_logs();
  TORCH_CHECK(frames.dim() == 4 && frames.size(3) == 3 && frames.scalar_type() == torch::kUInt8,
              "write_video_frames: expected [F, H, W, 3] uint8 frames, but got ", frames.sizes(), " ",
              frames.scalar_type());
  const int64_t f = frames.size(0), h = frames.size(1), w = frames.size(2);
  TORCH_CHECK(f >= 1 && h >= 1 && w >= 1 && h <= 16384 && w <= 16384, "write_video_frames: bad video size ",
              frames.sizes());
  ABLATE_USAGE_CHECK(options.fps >= 1 && options.fps <= 1000, "video fps must be in 1..1000, got ", options.fps);
  ABLATE_USAGE_CHECK(options.crf >= 0 && options.crf <= 51, "video crf must be in 0..51, got ", options.crf);
  const torch::Tensor rgb = frames.to(torch::kCPU).contiguous();  // [F, H, W, 3] uint8

  AVFormatContext* raw_out = nullptr;
  avformat_alloc_output_context2(&raw_out, nullptr, nullptr, path.c_str());
  ABLATE_USAGE_CHECK(raw_out != nullptr, "cannot write video '", path,
                     "': FFmpeg knows no container for that file name (use .mp4, .mkv or .mov)");
  std::unique_ptr<AVFormatContext, OutputDeleter> out(raw_out);

  CodecContextPtr ctx;
  std::string tried;
  for (const auto& choice : encoder_candidates(options.lossless, h, w)) {
    std::string why;
    ctx = open_encoder(choice, out->oformat, h, w, options, why);
    if (ctx != nullptr) break;
    tried += std::string(tried.empty() ? "" : "; ") + choice.name + ": " + why;
  }
  ABLATE_USAGE_CHECK(ctx != nullptr, "cannot write video '", path, "': no ", options.lossless ? "lossless " : "",
                     "encoder works (", tried, ")");

  AVStream* stream = avformat_new_stream(out.get(), nullptr);
  TORCH_CHECK(stream != nullptr, "avformat_new_stream failed");
  stream->time_base = ctx->time_base;
  stream->avg_frame_rate = ctx->framerate;
  int err = avcodec_parameters_from_context(stream->codecpar, ctx.get());
  TORCH_CHECK(err >= 0, "avcodec_parameters_from_context failed: ", av_error_text(err));
  if (!(out->oformat->flags & AVFMT_NOFILE)) {
    err = avio_open(&out->pb, path.c_str(), AVIO_FLAG_WRITE);
    ABLATE_USAGE_CHECK(err >= 0, "cannot create video file '", path, "': ", av_error_text(err));
  }
  AVDictionary* muxer_opts = nullptr;
  av_dict_set(&muxer_opts, "movflags", "+faststart", 0);  // index first: browsers can start playing at once
  err = avformat_write_header(out.get(), &muxer_opts);
  av_dict_free(&muxer_opts);
  TORCH_CHECK(err >= 0, "writing the header of '", path, "' failed: ", av_error_text(err));

  FramePtr frame(av_frame_alloc());
  frame->format = ctx->pix_fmt;
  frame->width = ctx->width;
  frame->height = ctx->height;
  frame->color_range = ctx->color_range;
  frame->colorspace = ctx->colorspace;
  err = av_frame_get_buffer(frame.get(), 0);
  TORCH_CHECK(err >= 0, "av_frame_get_buffer failed: ", av_error_text(err));
  const bool yuv = ctx->pix_fmt == AV_PIX_FMT_YUV420P || ctx->pix_fmt == AV_PIX_FMT_YUV444P;
  SwsPtr sws;
  if (ctx->pix_fmt != AV_PIX_FMT_RGB24) {
    sws = make_converter(ctx->width, ctx->height, AV_PIX_FMT_RGB24, ctx->pix_fmt, 1, yuv ? 0 : 1, SWS_CS_ITU709);
  }
  const int src_stride = static_cast<int>(w * 3);
  for (int64_t i = 0; i < f; ++i) {
    err = av_frame_make_writable(frame.get());
    TORCH_CHECK(err >= 0, "av_frame_make_writable failed: ", av_error_text(err));
    const uint8_t* src = rgb[i].data_ptr<uint8_t>();
    if (sws != nullptr) {
      const uint8_t* src_planes[4] = {src, nullptr, nullptr, nullptr};
      const int src_strides[4] = {src_stride, 0, 0, 0};
      sws_scale(sws.get(), src_planes, src_strides, 0, ctx->height, frame->data, frame->linesize);
    } else {
      for (int64_t y = 0; y < h; ++y) std::memcpy(frame->data[0] + y * frame->linesize[0], src + y * src_stride, src_stride);
    }
    frame->pts = i;
    encode_and_mux(ctx.get(), frame.get(), out.get(), stream, path);
  }
  encode_and_mux(ctx.get(), nullptr, out.get(), stream, path);
  err = av_write_trailer(out.get());
  TORCH_CHECK(err >= 0, "writing the trailer of '", path, "' failed: ", av_error_text(err));
  if (!(out->oformat->flags & AVFMT_NOFILE)) {
    err = avio_closep(&out->pb);
    ABLATE_USAGE_CHECK(err >= 0, "closing video file '", path, "' failed: ", av_error_text(err));
  }
  return VideoWriteInfo{ctx->codec->name, av_get_pix_fmt_name(ctx->pix_fmt), f};
}

DecodedVideo read_video(const std::string& path) {
  quiet_ffmpeg_logs();
  AVFormatContext* raw_in = nullptr;
  int err = avformat_open_input(&raw_in, path.c_str(), nullptr, nullptr);
  ABLATE_USAGE_CHECK(err >= 0, "cannot open video '", path, "': ", av_error_text(err));
  std::unique_ptr<AVFormatContext, InputDeleter> in(raw_in);
  err = avformat_find_stream_info(in.get(), nullptr);
  ABLATE_USAGE_CHECK(err >= 0, "video '", path, "' is not a readable media file: ", av_error_text(err));
  const AVCodec* decoder = nullptr;
  const int index = av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  ABLATE_USAGE_CHECK(index >= 0 && decoder != nullptr, "video '", path, "' has no decodable video stream");
  AVStream* stream = in->streams[index];
  CodecContextPtr ctx(avcodec_alloc_context3(decoder));
  TORCH_CHECK(ctx != nullptr, "avcodec_alloc_context3 failed");
  err = avcodec_parameters_to_context(ctx.get(), stream->codecpar);
  TORCH_CHECK(err >= 0, "avcodec_parameters_to_context failed: ", av_error_text(err));
  err = avcodec_open2(ctx.get(), decoder, nullptr);
  ABLATE_USAGE_CHECK(err >= 0, "cannot decode video '", path, "': ", av_error_text(err));

  std::vector<torch::Tensor> decoded;  // each [H, W, 3] uint8
  FramePtr frame(av_frame_alloc());
  PacketPtr packet(av_packet_alloc());
  auto drain = [&] {
    while (true) {
      err = avcodec_receive_frame(ctx.get(), frame.get());
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return;
      ABLATE_USAGE_CHECK(err >= 0, "decoding video '", path, "' failed: ", av_error_text(err));
      const auto format = static_cast<AVPixelFormat>(frame->format);
      auto rgb = torch::empty({frame->height, frame->width, 3}, torch::kUInt8);
      const int full_range = frame->color_range == AVCOL_RANGE_JPEG ? 1 : 0;
      const int colorspace = frame->colorspace == AVCOL_SPC_BT470BG || frame->colorspace == AVCOL_SPC_SMPTE170M
                                 ? SWS_CS_ITU601
                                 : SWS_CS_ITU709;
      SwsPtr sws = make_converter(frame->width, frame->height, format, AV_PIX_FMT_RGB24, full_range, 1, colorspace);
      uint8_t* dst_planes[4] = {rgb.data_ptr<uint8_t>(), nullptr, nullptr, nullptr};
      const int dst_strides[4] = {frame->width * 3, 0, 0, 0};
      sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, dst_planes, dst_strides);
      decoded.push_back(rgb);
      av_frame_unref(frame.get());
    }
  };
  while ((err = av_read_frame(in.get(), packet.get())) >= 0) {
    if (packet->stream_index == index) {
      const int sent = avcodec_send_packet(ctx.get(), packet.get());
      ABLATE_USAGE_CHECK(sent >= 0, "decoding video '", path, "' failed: ", av_error_text(sent));
      drain();
    }
    av_packet_unref(packet.get());
  }
  ABLATE_USAGE_CHECK(err == AVERROR_EOF, "reading video '", path, "' failed: ", av_error_text(err));
  avcodec_send_packet(ctx.get(), nullptr);
  drain();
  ABLATE_USAGE_CHECK(!decoded.empty(), "video '", path, "' holds no frames");
  DecodedVideo result;
  result.frames = torch::stack(decoded);  // [F, H, W, 3]
  const AVRational rate = stream->avg_frame_rate;
  result.fps = rate.den != 0 ? av_q2d(rate) : 0.0;
  result.codec = decoder->name;
  return result;
}

#else  // !ABLATE_HAVE_FFMPEG

bool video_io_available() { return false; }

VideoWriteInfo write_video_frames(const std::string& path, const torch::Tensor&, const VideoWriteOptions&) {
  throw UsageError("cannot write video '" + path +
                   "': this build has no FFmpeg libraries (install libavcodec-dev libavformat-dev libswscale-dev "
                   "libavutil-dev and rebuild)");
}

DecodedVideo read_video(const std::string& path) {
  throw UsageError("cannot read video '" + path +
                   "': this build has no FFmpeg libraries (install libavcodec-dev libavformat-dev libswscale-dev "
                   "libavutil-dev and rebuild)");
}

#endif  // ABLATE_HAVE_FFMPEG

}  // namespace ablate::io
