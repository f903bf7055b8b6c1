// Several streams (channels) from one capture, for the backends that capture raw pictures
// (test pattern, V4L2 YUYV): each capture is scaled (area / bilinear, cam_image.h) to every
// stream's size at that stream's rate, then encoded to H.264 or converted to raw pixels.
#ifndef CAM_STREAMS_H
#define CAM_STREAMS_H

#include <memory>
#include <string>
#include <vector>

#include "cam_source.h"

// The capture that feeds `streams`: the largest width, height and rate among them.
CamEncoderConfig camCaptureOf(const std::vector<CamStreamConfig> &streams);

class CamStreams {
 public:
  // Sets up scalers and encoders for `streams` fed by captures of captureWidth x captureHeight
  // at captureFps. A stream that asked for `requested`'s size gets the capture's actual size (a
  // V4L2 driver may grant another). Null with `error` set when an encoder cannot open.
  static std::unique_ptr<CamStreams> open(const std::vector<CamStreamConfig> &streams,
                                          const CamEncoderConfig &requested, int captureWidth,
                                          int captureHeight, int captureFps, std::string &error);
  ~CamStreams();

  // Hands capture number `sequence` (taken at timestampMs) to every stream whose turn it is.
  // False with `error` set when an encoder fails; `gone` set when the consumer went away.
  bool emit(const cam_i420 &capture, uint64_t sequence, int64_t timestampMs, CamSource &source,
            CamSink &sink, std::string &error, bool &gone);

  // What each stream runs at.
  std::vector<CamStreamConfig> actual() const;

 private:
  struct Output;
  CamStreams() = default;
  int captureFps_ = 0;
  std::vector<std::unique_ptr<Output>> outputs_;
};

#endif
