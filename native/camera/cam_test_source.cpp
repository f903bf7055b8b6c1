// The `test` backend: a synthetic camera drawing a moving pattern with the frame number and
// capture time in the picture, encoded by OpenH264 at a constant frame rate.
#include "cam_source.h"

namespace {

class TestSource : public CamSource {
 public:
  TestSource(const CamEncoderConfig &config, std::unique_ptr<CamOpenH264> encoder)
      : config_(config),
        encoder_(std::move(encoder)),
        pixels_(cam_i420_size(config.width, config.height)) {
    cam_i420_wrap(&picture_, pixels_.data(), config.width, config.height);
  }

  std::string run(CamStop &stop, CamSink &sink) override {
    using clock = std::chrono::steady_clock;
    const auto interval = std::chrono::nanoseconds(1000000000LL / config_.fps);
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
      auto frame = std::make_unique<CamFrame>();
      frame->timestampMs = now;
      frame->sequence = sequence++;
      next += interval;
      if (!camEncodeFrame(*encoder_, picture_, takeKeyframeRequest(), *frame, sink, error)) {
        return error;
      }
      if (!sink.offer(std::move(frame))) return "";
    }
    return "";
  }

 private:
  CamEncoderConfig config_;
  std::unique_ptr<CamOpenH264> encoder_;
  std::vector<uint8_t> pixels_;
  cam_i420 picture_;
};

}  // namespace

std::unique_ptr<CamSource> camMakeTestSource(const CamEncoderConfig &config, std::string &error) {
  auto encoder = CamOpenH264::open(config, error);
  if (!encoder) return nullptr;
  return std::make_unique<TestSource>(config, std::move(encoder));
}
