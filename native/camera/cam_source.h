// What every capture backend (test pattern, V4L2, Sophgo) implements, and what it hands frames
// to. A backend runs on the camera's own native thread until stopped or failed.
#ifndef CAM_SOURCE_H
#define CAM_SOURCE_H

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cam_openh264.h"

// One encoded access unit. Its bytes become the JavaScript Buffer without a copy: the Buffer's
// finalizer deletes the frame.
struct CamFrame {
  std::vector<uint8_t> data;
  int64_t timestampMs;  // wall clock (ms since the Unix epoch) at capture
  bool keyframe;
  uint64_t sequence;  // capture counter of its stream: gaps show dropped frames
  uint32_t stream = 0;  // which stream (channel) of the camera it belongs to
};

// What one stream carries: H.264, or raw pixels for ML (packed 8-bit RGB, NV12, or 8-bit RGB
// planar: an R plane, a G plane, a B plane). Raw rows are packed: stride = row bytes.
enum class CamPixels { H264, RGB24, NV12, RGB_PLANAR };

// One stream of a camera: its size and rate, and for H.264 its bitrate and GOP.
struct CamStreamConfig {
  CamEncoderConfig encoder;
  CamPixels pixels = CamPixels::H264;
};

// A backend's failure to open: `code` for the JavaScript error (e.g. DEVICE_BUSY), and a
// one-line message that says what to do.
struct CamError {
  std::string code;
  std::string message;
};

class CamSink {
 public:
  virtual ~CamSink() = default;
  // Takes the frame; returns false when the consumer is gone and the backend should stop.
  virtual bool deliver(std::unique_ptr<CamFrame> frame) = 0;
  // Counts `count` frames lost before delivery for `reason` (a stats key).
  virtual void dropped(const char *reason, uint64_t count) = 0;
  virtual void encodeTime(double ms) = 0;

  // Delivers an encoded frame; one the encoder skipped (empty) is counted instead. Returns
  // false when the consumer is gone.
  bool offer(std::unique_ptr<CamFrame> frame) {
    if (!frame->data.empty()) return deliver(std::move(frame));
    dropped("encoderSkip", 1);
    return true;
  }
};

// The stop request, waitable with a deadline so a paced backend wakes at once on close().
class CamStop {
 public:
  void request() {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
    cv_.notify_all();
  }
  bool requested() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopped_;
  }
  // Sleeps until `deadline` or a stop request; true when stop was requested.
  bool waitUntil(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_until(lock, deadline, [this] { return stopped_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

class CamSource {
 public:
  virtual ~CamSource() = default;
  // Produces frames into `sink` until `stop` is requested (returns "") or the backend fails
  // (returns the error, e.g. "v4l2 /dev/video0: device removed (ENODEV)").
  virtual std::string run(CamStop &stop, CamSink &sink) = 0;
  // The next frame the backend encodes for `stream` is an IDR with SPS/PPS. Any thread.
  void requestKeyframe(uint32_t stream) {
    // SYNC: pairs with the fetch_and in takeKeyframeRequest(); relaxed is enough because the
    // bits carry no other data, and a request racing an encode lands on the frame after.
    keyframeRequested_.fetch_or(1u << (stream & 31), std::memory_order_relaxed);
  }
  // Every stream's next frame is an IDR.
  void requestKeyframe() {
    // SYNC: as in requestKeyframe(stream).
    keyframeRequested_.store(~0u, std::memory_order_relaxed);
  }
  // Whether an IDR was asked for `stream` since the last call (and clears the request).
  bool takeKeyframeRequest(uint32_t stream = 0) {
    const uint32_t bit = 1u << (stream & 31);
    // SYNC: pairs with the fetch_or / store in requestKeyframe(); see there.
    return (keyframeRequested_.fetch_and(~bit, std::memory_order_relaxed) & bit) != 0;
  }

 private:
  std::atomic<uint32_t> keyframeRequested_{0};
};

// Milliseconds since the Unix epoch: the capture timestamps of the wire format.
int64_t camWallClockMs();

// Encodes `picture` (captured at frame.timestampMs) into `frame`, reporting the time it took
// to `sink`. False with `error` set when the encoder fails.
bool camEncodeFrame(CamOpenH264 &encoder, const cam_i420 &picture, bool forceKeyframe,
                    CamFrame &frame, CamSink &sink, std::string &error);

// The test pattern, captured at the largest size and rate of `streams` and scaled and encoded
// once per stream (cam_streams.h).
std::unique_ptr<CamSource> camMakeTestSource(const std::vector<CamStreamConfig> &streams,
                                             std::string &error);

#endif
