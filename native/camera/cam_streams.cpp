#include "cam_streams.h"

#include <algorithm>

struct CamStreams::Output {
  CamStreamConfig config;
  std::unique_ptr<CamOpenH264> encoder;  // H.264 streams only
  bool scaled = false;                   // false: the capture is already this size
  cam_scaler luma{}, chroma{};
  std::vector<uint8_t> pixels;
  cam_i420 picture{};

  ~Output() {
    if (scaled) {
      cam_scaler_free(&luma);
      cam_scaler_free(&chroma);
    }
  }
};

CamEncoderConfig camCaptureOf(const std::vector<CamStreamConfig> &streams) {
  CamEncoderConfig capture = streams.empty() ? CamEncoderConfig{0, 0, 0, 0, 0} : streams[0].encoder;
  for (const CamStreamConfig &s : streams) {
    capture.width = std::max(capture.width, s.encoder.width);
    capture.height = std::max(capture.height, s.encoder.height);
    capture.fps = std::max(capture.fps, s.encoder.fps);
  }
  return capture;
}

std::unique_ptr<CamStreams> CamStreams::open(const std::vector<CamStreamConfig> &streams,
                                             const CamEncoderConfig &requested, int captureWidth,
                                             int captureHeight, int captureFps, std::string &error) {
  std::unique_ptr<CamStreams> set(new CamStreams());
  set->captureFps_ = captureFps;
  for (size_t i = 0; i < streams.size(); i++) {
    auto out = std::make_unique<Output>();
    out->config = streams[i];
    CamEncoderConfig &c = out->config.encoder;
    if (c.width == requested.width && c.height == requested.height) {
      c.width = captureWidth;
      c.height = captureHeight;
    }
    c.fps = std::min(c.fps, captureFps);
    if (c.width != captureWidth || c.height != captureHeight) {
      out->scaled = true;
      if (cam_scaler_init(&out->luma, captureWidth, captureHeight, c.width, c.height) != 0 ||
          cam_scaler_init(&out->chroma, captureWidth / 2, captureHeight / 2, c.width / 2,
                          c.height / 2) != 0) {
        error = "stream " + std::to_string(i) + ": cannot scale " + std::to_string(captureWidth) +
                "x" + std::to_string(captureHeight) + " to " + std::to_string(c.width) + "x" +
                std::to_string(c.height) + " (out of memory, or more than 62:1)";
        return nullptr;
      }
      out->pixels.resize(cam_i420_size(c.width, c.height));
      cam_i420_wrap(&out->picture, out->pixels.data(), c.width, c.height);
    }
    if (out->config.pixels == CamPixels::H264) {
      out->encoder = CamOpenH264::open(c, error);
      if (!out->encoder) return nullptr;
    }
    set->outputs_.push_back(std::move(out));
  }
  return set;
}

CamStreams::~CamStreams() = default;

std::vector<CamStreamConfig> CamStreams::actual() const {
  std::vector<CamStreamConfig> out;
  for (const auto &o : outputs_) out.push_back(o->config);
  return out;
}

bool CamStreams::emit(const cam_i420 &capture, uint64_t sequence, int64_t timestampMs,
                      CamSource &source, CamSink &sink, std::string &error, bool &gone) {
  const uint64_t cf = static_cast<uint64_t>(captureFps_);
  for (size_t i = 0; i < outputs_.size(); i++) {
    Output &out = *outputs_[i];
    // Capture n falls in slot floor(n * fps / captureFps) of this stream: a stream at half the
    // rate takes every other capture, and its sequence counts its own slots.
    const uint64_t fps = static_cast<uint64_t>(out.config.encoder.fps);
    const uint64_t slot = sequence * fps / cf;
    if (sequence != 0 && slot == (sequence - 1) * fps / cf) continue;
    const cam_i420 *picture = &capture;
    if (out.scaled) {
      cam_i420_scale(&out.luma, &out.chroma, &capture, &out.picture);
      picture = &out.picture;
    }
    auto frame = std::make_unique<CamFrame>();
    frame->timestampMs = timestampMs;
    frame->sequence = slot;
    frame->stream = static_cast<uint32_t>(i);
    const uint32_t stream = static_cast<uint32_t>(i);
    if (out.config.pixels == CamPixels::H264) {
      if (!camEncodeFrame(*out.encoder, *picture, source.takeKeyframeRequest(stream), *frame, sink,
                          error)) {
        return false;
      }
    } else {
      // Raw pictures stand alone: every one is a "keyframe" a reader can start at.
      source.takeKeyframeRequest(stream);
      const int w = picture->width, h = picture->height;
      frame->keyframe = true;
      if (out.config.pixels != CamPixels::NV12) {
        const bool planar = out.config.pixels == CamPixels::RGB_PLANAR;
        frame->data.resize(static_cast<size_t>(w) * h * 3);
        cam_i420_to_rgb(picture, frame->data.data(), planar ? w : w * 3, planar);
      } else {
        frame->data.resize(cam_i420_size(w, h));
        cam_i420_to_nv12(picture, frame->data.data());
      }
    }
    if (!sink.offer(std::move(frame))) {
      gone = true;
      return true;
    }
  }
  return true;
}
