// Software H.264 encoding with OpenH264 (BSD), loaded at run time with dlopen so that the addon
// builds and loads without it and a missing library is a clear error naming the package.
#ifndef CAM_OPENH264_H
#define CAM_OPENH264_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cam_image.h"

class ISVCEncoder;

struct CamEncoderConfig {
  int width;
  int height;
  int fps;
  int bitrateKbps;
  int gop;
};

class CamOpenH264 {
 public:
  // Loads the library (once per process; it is never unloaded) and sets up an encoder for live
  // streaming. Returns null and fills `error` when the library or the encoder is unavailable.
  static std::unique_ptr<CamOpenH264> open(const CamEncoderConfig &config, std::string &error);
  // "OpenH264 2.3.1", or an error (same as open) when the library cannot be loaded.
  static bool version(std::string &out, std::string &error);
  ~CamOpenH264();

  // Encodes one picture into `out` (one whole Annex B access unit; SPS and PPS precede every
  // IDR). `forceKeyframe` makes this picture an IDR. Returns false with `error` set on failure.
  bool encode(const cam_i420 &picture, int64_t timestampMs, bool forceKeyframe,
              std::vector<uint8_t> &out, bool &keyframe, std::string &error);

 private:
  explicit CamOpenH264(ISVCEncoder *encoder) : encoder_(encoder) {}
  ISVCEncoder *encoder_;
};

#endif
