#include "cam_source.h"

#include <time.h>

int64_t camWallClockMs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

bool camEncodeFrame(CamOpenH264 &encoder, const cam_i420 &picture, bool forceKeyframe,
                    CamFrame &frame, CamSink &sink, std::string &error) {
  auto t0 = std::chrono::steady_clock::now();
  if (!encoder.encode(picture, frame.timestampMs, forceKeyframe, frame.data, frame.keyframe, error)) {
    return false;
  }
  sink.encodeTime(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  return true;
}
