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
  uint64_t sequence;  // capture counter: gaps show dropped frames
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
  // The next frame the backend encodes is an IDR with SPS/PPS. Called from any thread.
  void requestKeyframe() {
    // SYNC: pairs with the exchange in takeKeyframeRequest(); relaxed is enough because the
    // flag carries no other data, and a request racing an encode lands on the frame after.
    keyframeRequested_.store(true, std::memory_order_relaxed);
  }

 protected:
  bool takeKeyframeRequest() {
    // SYNC: pairs with the store in requestKeyframe(); see there.
    return keyframeRequested_.exchange(false, std::memory_order_relaxed);
  }

 private:
  std::atomic<bool> keyframeRequested_{false};
};

// Milliseconds since the Unix epoch: the capture timestamps of the wire format.
int64_t camWallClockMs();

// Encodes `picture` (captured at frame.timestampMs) into `frame`, reporting the time it took
// to `sink`. False with `error` set when the encoder fails.
bool camEncodeFrame(CamOpenH264 &encoder, const cam_i420 &picture, bool forceKeyframe,
                    CamFrame &frame, CamSink &sink, std::string &error);

std::unique_ptr<CamSource> camMakeTestSource(const CamEncoderConfig &config, std::string &error);

#ifdef CAM_WITH_SOPHGO
// cam_sophgo.cpp, built only with the Sophgo SDK (SG200X_SDK_PATH).
std::unique_ptr<CamSource> camMakeSophgoSource(const CamEncoderConfig &config, std::string &error);
#endif

#endif
