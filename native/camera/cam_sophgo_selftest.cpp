// Drives the `sophgo` backend without Node, for the stand-in tests that need a process of their
// own per run (a library set, an injected failure, a libc or an architecture each): x86-64
// glibc, x86-64 under musl's own loader, riscv64 under qemu-riscv64-static
// (packages/sdk-native/test/sophgo.test.ts builds and runs it).
//   cam_sophgo_selftest FRAMES OUT_PREFIX STREAM [STREAM ...]
// STREAM: WxH@FPS:KBPS:GOP (H.264), or WxH@FPS:rgb|nv12|rgbp (raw pictures). Board paths are
// taken under CAM_SOPHGO_ROOT. Opens the camera, writes each stream's frames to OUT_PREFIX.N
// (access units, or pictures one after the other) until every stream has FRAMES of them, asks
// for one IDR midway, closes, and prints one line: `ok N frames ...` (exit 0), or
// `error CODE: message` (exit 1).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "cam_annexb.h"
#include "cam_sophgo.h"

namespace {

class FileSink : public CamSink {
 public:
  FileSink(const std::string &prefix, const std::vector<CamStreamConfig> &streams, uint64_t frames, CamStop &stop)
      : counts_(streams.size(), 0), keyframes_(streams.size(), 0), streams_(streams), frames_(frames), stop_(stop) {
    for (size_t i = 0; i < streams.size(); i++) files_.push_back(std::fopen((prefix + "." + std::to_string(i)).c_str(), "wb"));
  }
  ~FileSink() override {
    for (FILE *f : files_) {
      if (f) std::fclose(f);
    }
  }
  bool deliver(std::unique_ptr<CamFrame> frame) override {
    size_t i = frame->stream;
    if (i >= files_.size() || !files_[i]) {
      bad_++;
      return false;
    }
    std::fwrite(frame->data.data(), 1, frame->data.size(), files_[i]);
    counts_[i]++;
    keyframes_[i] += frame->keyframe;
    // SPS and PPS must precede every IDR the backend hands on; a raw picture stands alone.
    uint32_t types = cam_annexb_types(frame->data.data(), frame->data.size());
    if (streams_[i].pixels != CamPixels::H264) {
      bad_ += !frame->keyframe;
    } else if ((types >> CAM_NAL_IDR & 1) && !((types >> CAM_NAL_SPS & 1) && (types >> CAM_NAL_PPS & 1))) {
      bad_++;
    }
    bool done = true;
    for (uint64_t c : counts_) done = done && c >= frames_;
    if (done) stop_.request();
    return true;
  }
  void dropped(const char *reason, uint64_t count) override { std::printf("dropped %s %llu\n", reason, (unsigned long long)count); }
  void encodeTime(double) override {}

  std::vector<uint64_t> counts_, keyframes_;
  uint64_t bad_ = 0;

 private:
  std::vector<FILE *> files_;
  std::vector<CamStreamConfig> streams_;
  uint64_t frames_;
  CamStop &stop_;
};

}  // namespace

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s FRAMES OUT_PREFIX WxH@FPS:KBPS:GOP...\n", argv[0]);
    return 2;
  }
  CamSophgoConfig config;
  const char *root = std::getenv("CAM_SOPHGO_ROOT");
  config.root = root ? root : "";
  for (int i = 3; i < argc; i++) {
    CamEncoderConfig s{};
    char format[8] = "";
    if (std::sscanf(argv[i], "%dx%d@%d:%d:%d", &s.width, &s.height, &s.fps, &s.bitrateKbps, &s.gop) == 5) {
      config.streams.push_back({s, CamPixels::H264});
    } else if (std::sscanf(argv[i], "%dx%d@%d:%7s", &s.width, &s.height, &s.fps, format) == 4 &&
               (!std::strcmp(format, "rgb") || !std::strcmp(format, "nv12") || !std::strcmp(format, "rgbp"))) {
      config.streams.push_back({s, !std::strcmp(format, "rgb")    ? CamPixels::RGB24
                                   : !std::strcmp(format, "nv12") ? CamPixels::NV12
                                                                  : CamPixels::RGB_PLANAR});
    } else {
      std::fprintf(stderr, "bad stream %s\n", argv[i]);
      return 2;
    }
  }
  uint64_t frames = std::strtoull(argv[1], nullptr, 10);
  std::string description;
  CamError error;
  auto source = camMakeSophgoSource(config, description, error);
  if (!source) {
    std::printf("error %s: %s\n", error.code.c_str(), error.message.c_str());
    return 1;
  }
  std::printf("opened %s\n", description.c_str());
  CamStop stop;
  FileSink sink(argv[2], config.streams, frames, stop);
  std::thread keyframe([&] {
    // One IDR on request, as a joining viewer asks, once the stream runs.
    stop.waitUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(1000 * frames / 2 / config.streams[0].encoder.fps));
    source->requestKeyframe();
  });
  std::string failure = source->run(stop, sink);
  keyframe.join();
  source.reset();
  if (!failure.empty()) {
    std::printf("error CAPTURE_FAILED: %s\n", failure.c_str());
    return 1;
  }
  std::printf("ok");
  for (size_t i = 0; i < sink.counts_.size(); i++) {
    std::printf(" stream%zu=%llu/%llu", i, (unsigned long long)sink.counts_[i], (unsigned long long)sink.keyframes_[i]);
  }
  std::printf(" bad=%llu\n", (unsigned long long)sink.bad_);
  return sink.bad_ ? 1 : 0;
}
