// The `v4l2:/dev/videoN` backend: a V4L2 capture device read with mmap streaming. H.264 cameras
// are passed through (SPS/PPS repeated before IDRs that lack them); YUYV cameras are converted
// to I420 and encoded with OpenH264. Which format and size to use is decided in TypeScript from
// what camV4l2Probe() reports. Untested against real hardware: no V4L2 device exists here.
#ifndef CAM_V4L2_H
#define CAM_V4L2_H

#include <string>
#include <vector>

#include "cam_source.h"

struct CamV4l2Size {
  int width;
  int height;
};

// Frame sizes as V4L2 enumerates them: a discrete list, or a stepwise range.
struct CamV4l2Format {
  std::string fourcc;  // "H264", "YUYV", "MJPG", ...
  std::string description;
  std::vector<CamV4l2Size> sizes;
  bool stepwise = false;
  CamV4l2Size min{0, 0}, max{0, 0}, step{0, 0};
};

struct CamV4l2Device {
  std::string driver, card, busInfo;
  std::vector<CamV4l2Format> formats;
};

// A failure with the code TypeScript exposes (DEVICE_NOT_FOUND, DEVICE_BUSY, ...).
using CamV4l2Error = CamError;

// Opens the device, checks it is a streaming capture device and lists its formats.
bool camV4l2Probe(const std::string &path, CamV4l2Device &out, CamV4l2Error &error);

struct CamV4l2Config {
  std::string path;
  std::string fourcc;  // "H264" or "YUYV"
  CamEncoderConfig encoder;  // the capture asked of the device: width/height/fps
  // What a YUYV camera's captures become, each scaled and encoded (cam_streams.h). An H.264
  // camera is passed through as its one stream.
  std::vector<CamStreamConfig> streams;
};

// Opens and configures the device (format, frame rate, buffers). `actual` receives what each
// stream runs at (the driver may grant another size or rate than asked).
std::unique_ptr<CamSource> camMakeV4l2Source(const CamV4l2Config &config,
                                             std::vector<CamStreamConfig> &actual,
                                             CamV4l2Error &error);

#endif
