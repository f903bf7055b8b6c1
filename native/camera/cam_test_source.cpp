// The `test` backend: a synthetic camera drawing a moving pattern with the frame number and
// capture time in the picture, at a constant frame rate, scaled and encoded once per stream.
#include "cam_source.h"
#include "cam_streams.h"

namespace {

class TestSource : public CamSource {
 public:
  TestSource(const CamEncoderConfig &capture, std::unique_ptr<CamStreams> streams)
      : capture_(capture),
        streams_(std::move(streams)),
        pixels_(cam_i420_size(capture.width, capture.height)) {
    cam_i420_wrap(&picture_, pixels_.data(), capture.width, capture.height);
  }

  std::string run(CamStop &stop, CamSink &sink) override {
    using clock = std::chrono::steady_clock;
    const auto interval = std::chrono::nanoseconds(1000000000LL / capture_.fps);
    uint64_t sequence = 0;
    // Deadlines are absolute (start + n * interval), so pacing does not drift.
    auto next = clock::now();
    std::string error;
    while (!stop.waitUntil(next)) {
      // A slot more than one interval in the past is skipped, not encoded late: the frame rate
      // stays constant and the skipped slots are counted.
      auto behind = clock::now() - next;
      if (behind >= interval) {
        uint64_t missed = static_cast<uint64_t>(behind / interval);
        sink.dropped("late", missed);
        sequence += missed;
        next += interval * missed;
      }
      int64_t now = camWallClockMs();
      cam_draw_test_pattern(&picture_, sequence, now);
      next += interval;
      bool gone = false;
      if (!streams_->emit(picture_, sequence++, now, *this, sink, error, gone)) return error;
      if (gone) return "";
    }
    return "";
  }

 private:
  CamEncoderConfig capture_;
  std::unique_ptr<CamStreams> streams_;
  std::vector<uint8_t> pixels_;
  cam_i420 picture_;
};

}  // namespace

std::unique_ptr<CamSource> camMakeTestSource(const std::vector<CamStreamConfig> &streams,
                                             std::string &error) {
  CamEncoderConfig capture = camCaptureOf(streams);
  auto set = CamStreams::open(streams, capture, capture.width, capture.height, capture.fps, error);
  if (!set) return nullptr;
  return std::make_unique<TestSource>(capture, std::move(set));
}
