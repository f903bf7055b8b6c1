#include "cam_v4l2.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "cam_annexb.h"
#include "cam_streams.h"
#include "cam_v4l2_limits.h"

namespace {

constexpr unsigned kBuffers = 4;
// How long a poll waits before looking at the stop flag again.
constexpr int kPollMs = 100;
// A camera that sends nothing for this long is reported as stalled.
constexpr int kStallMs = 5000;

std::string fourccName(uint32_t f) {
  char s[5] = {static_cast<char>(f & 0xff), static_cast<char>((f >> 8) & 0xff),
               static_cast<char>((f >> 16) & 0xff), static_cast<char>((f >> 24) & 0xff), 0};
  return s;
}

uint32_t fourccValue(const std::string &s) {
  return v4l2_fourcc(s[0], s[1], s[2], s[3]);
}

int xioctl(int fd, unsigned long request, void *arg) {
  int r;
  do r = ioctl(fd, request, arg);
  while (r == -1 && errno == EINTR);
  return r;
}

// The errno names a user can search for; strerrorname_np() is glibc-only.
const char *errnoName(int err) {
  switch (err) {
    case ENOENT: return "ENOENT";
    case ENODEV: return "ENODEV";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EBUSY: return "EBUSY";
    case ENOTTY: return "ENOTTY";
    case EINVAL: return "EINVAL";
    case EIO: return "EIO";
    case ENOMEM: return "ENOMEM";
    default: return "errno";
  }
}

CamV4l2Error errnoError(const std::string &path, const char *what, int err) {
  std::string code = err == ENOENT || err == ENODEV ? "DEVICE_NOT_FOUND"
                     : err == EACCES || err == EPERM ? "DEVICE_PERMISSION"
                     : err == EBUSY                  ? "DEVICE_BUSY"
                     : err == ENOTTY                 ? "DEVICE_NOT_V4L2"
                                                     : "DEVICE_FAILED";
  std::string hint = err == EBUSY    ? " (another program is capturing from it)"
                     : err == ENOTTY ? " (not a V4L2 device)"
                     : err == EACCES ? " (add the user to the video group)"
                                     : "";
  return {code, "v4l2 " + path + ": " + what + ": " + strerror(err) + " (" + errnoName(err) + ")" + hint};
}

// Opens the device and checks it can stream video capture.
int openCapture(const std::string &path, v4l2_capability &cap, CamV4l2Error &error) {
  int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    error = errnoError(path, "open", errno);
    return -1;
  }
  memset(&cap, 0, sizeof cap);
  if (xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0) {
    error = errnoError(path, "VIDIOC_QUERYCAP", errno);
    close(fd);
    return -1;
  }
  uint32_t caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
  if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
    error = {"DEVICE_NOT_CAPTURE", "v4l2 " + path + ": " + reinterpret_cast<char *>(cap.card) +
                                       " is not a streaming video capture device (a metadata or "
                                       "output node?)"};
    close(fd);
    return -1;
  }
  return fd;
}

void listSizes(int fd, uint32_t fourcc, CamV4l2Format &format) {
  v4l2_frmsizeenum size;
  memset(&size, 0, sizeof size);
  size.pixel_format = fourcc;
  for (size.index = 0; xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &size) == 0; size.index++) {
    if (size.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
      format.sizes.push_back({static_cast<int>(size.discrete.width), static_cast<int>(size.discrete.height)});
    } else {
      const v4l2_frmsize_stepwise &s = size.stepwise;
      format.stepwise = true;
      format.min = {static_cast<int>(s.min_width), static_cast<int>(s.min_height)};
      format.max = {static_cast<int>(s.max_width), static_cast<int>(s.max_height)};
      format.step = {static_cast<int>(s.step_width), static_cast<int>(s.step_height)};
      return;
    }
  }
}

class V4l2Source : public CamSource {
 public:
  V4l2Source(std::string path, int fd, bool passthrough) : path_(std::move(path)), fd_(fd), passthrough_(passthrough) {}

  ~V4l2Source() override {
    v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    xioctl(fd_, VIDIOC_STREAMOFF, &type);
    for (auto &b : buffers_) munmap(b.first, b.second);
    close(fd_);
  }

  // Sets format, rate and buffers; fills `streams` with what each stream runs at.
  bool configure(const CamV4l2Config &config, std::vector<CamStreamConfig> &streams,
                 CamV4l2Error &error) {
    if (passthrough_ && config.streams.size() > 1) {
      error = {"DEVICE_UNSUPPORTED_FORMAT",
               "v4l2 " + path_ + ": an H.264 camera gives one stream; more channels need a raw (YUYV) camera to scale"};
      return false;
    }
    CamEncoderConfig actual;
    v4l2_format fmt;
    memset(&fmt, 0, sizeof fmt);
    fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    fmt.fmt.pix.width = static_cast<uint32_t>(config.encoder.width);
    fmt.fmt.pix.height = static_cast<uint32_t>(config.encoder.height);
    fmt.fmt.pix.pixelformat = fourccValue(config.fourcc);
    fmt.fmt.pix.field = V4L2_FIELD_NONE;
    if (xioctl(fd_, VIDIOC_S_FMT, &fmt) < 0) return fail(error, "VIDIOC_S_FMT");
    if (fmt.fmt.pix.pixelformat != fourccValue(config.fourcc)) {
      error = {"DEVICE_UNSUPPORTED_FORMAT", "v4l2 " + path_ + ": asked for " + config.fourcc +
                                                ", the driver gave " + fourccName(fmt.fmt.pix.pixelformat)};
      return false;
    }
    // Some drivers leave bytesperline 0 for packed formats: then lines are not padded.
    uint32_t stride = 0;
    const v4l2_pix_format &pix = fmt.fmt.pix;
    if (const char *why = cam_v4l2_check_format(!passthrough_, pix.width, pix.height, pix.bytesperline,
                                                pix.sizeimage, &stride)) {
      error = {"DEVICE_UNSUPPORTED_FORMAT",
               "v4l2 " + path_ + ": the driver's format cannot be used: " + why + " (" +
                   std::to_string(pix.width) + "x" + std::to_string(pix.height) + ", bytesperline " +
                   std::to_string(pix.bytesperline) + ", sizeimage " + std::to_string(pix.sizeimage) + ")"};
      return false;
    }
    actual = config.encoder;
    actual.width = static_cast<int>(pix.width);
    actual.height = static_cast<int>(pix.height);
    stride_ = stride;
    frameBytes_ = passthrough_ ? 1 : static_cast<size_t>(stride) * pix.height;
    if (!passthrough_ && (actual.width % 2 || actual.height % 2)) {
      error = {"DEVICE_UNSUPPORTED_FORMAT", "v4l2 " + path_ + ": the driver chose an odd size " +
                                                std::to_string(actual.width) + "x" + std::to_string(actual.height)};
      return false;
    }
    v4l2_streamparm parm;
    memset(&parm, 0, sizeof parm);
    parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    parm.parm.capture.timeperframe = {1, static_cast<uint32_t>(config.encoder.fps)};
    // Not every driver lets the rate be set; the one it reports back is what the camera sends.
    if (xioctl(fd_, VIDIOC_S_PARM, &parm) == 0) {
      const v4l2_fract &t = parm.parm.capture.timeperframe;
      actual.fps = cam_v4l2_fps(t.numerator, t.denominator, actual.fps);
    }
    v4l2_requestbuffers req;
    memset(&req, 0, sizeof req);
    req.count = kBuffers;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd_, VIDIOC_REQBUFS, &req) < 0) return fail(error, "VIDIOC_REQBUFS");
    if (const char *why = cam_v4l2_check_buffer_count(req.count)) {
      error = {"DEVICE_FAILED", "v4l2 " + path_ + ": VIDIOC_REQBUFS granted " + std::to_string(req.count) +
                                    " buffers: " + why};
      return false;
    }
    for (uint32_t i = 0; i < req.count; i++) {
      v4l2_buffer buf;
      memset(&buf, 0, sizeof buf);
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      buf.index = i;
      if (xioctl(fd_, VIDIOC_QUERYBUF, &buf) < 0) return fail(error, "VIDIOC_QUERYBUF");
      if (buf.length < frameBytes_) {  // every frame in it would be short
        error = {"DEVICE_FAILED", "v4l2 " + path_ + ": buffer " + std::to_string(i) + " is " +
                                      std::to_string(buf.length) + " bytes, a frame needs " +
                                      std::to_string(frameBytes_)};
        return false;
      }
      void *p = mmap(nullptr, buf.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, buf.m.offset);
      if (p == MAP_FAILED) return fail(error, "mmap");
      buffers_.emplace_back(static_cast<uint8_t *>(p), buf.length);
      if (xioctl(fd_, VIDIOC_QBUF, &buf) < 0) return fail(error, "VIDIOC_QBUF");
    }
    if (passthrough_) {
      streams = {{actual, CamPixels::H264}};
      return true;
    }
    streams_ = CamStreams::open(config.streams, config.encoder, actual.width, actual.height,
                                actual.fps, error.message);
    if (!streams_) {
      error.code = "ENCODER_UNAVAILABLE";
      return false;
    }
    streams = streams_->actual();
    pixels_.resize(cam_i420_size(actual.width, actual.height));
    cam_i420_wrap(&picture_, pixels_.data(), actual.width, actual.height);
    return true;
  }

  std::string run(CamStop &stop, CamSink &sink) override {
    v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd_, VIDIOC_STREAMON, &type) < 0) return errnoError(path_, "VIDIOC_STREAMON", errno).message;
    int idleMs = 0;
    uint64_t lastSequence = 0;
    bool first = true;
    while (!stop.requested()) {
      pollfd p{fd_, POLLIN, 0};
      int r = poll(&p, 1, kPollMs);
      if (r < 0 && errno != EINTR) return errnoError(path_, "poll", errno).message;
      if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) return "v4l2 " + path_ + ": device removed or failed";
      if (r <= 0) {
        if ((idleMs += kPollMs) >= kStallMs) return "v4l2 " + path_ + ": no frame for 5 s (camera stalled)";
        continue;
      }
      idleMs = 0;
      v4l2_buffer buf;
      memset(&buf, 0, sizeof buf);
      buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      buf.memory = V4L2_MEMORY_MMAP;
      if (xioctl(fd_, VIDIOC_DQBUF, &buf) < 0) {
        if (errno == EAGAIN) continue;
        return errnoError(path_, "VIDIOC_DQBUF", errno).message;
      }
      // Only a buffer we mapped, and only the bytes of it that are mapped, are read.
      switch (cam_v4l2_check_buffer(buf.index, buffers_.size(), buf.bytesused,
                                    buf.index < buffers_.size() ? buffers_[buf.index].second : 0, frameBytes_)) {
        case CAM_V4L2_BUFFER_OK: break;
        case CAM_V4L2_BUFFER_BAD_INDEX:
          return "v4l2 " + path_ + ": the driver returned buffer index " + std::to_string(buf.index) + " of " +
                 std::to_string(buffers_.size()) + " (a driver bug): capture stopped";
        default:  // bytesused past the buffer or less than a frame: that frame is lost
          sink.dropped("badBuffer", 1);
          if (passthrough_) forceKeyframe();  // what follows refers to the lost frame
          if (xioctl(fd_, VIDIOC_QBUF, &buf) < 0) return errnoError(path_, "VIDIOC_QBUF", errno).message;
          continue;
      }
      // The driver's own counter shows frames it dropped when we were not dequeuing in time.
      if (!first && buf.sequence > lastSequence + 1) sink.dropped("device", buf.sequence - lastSequence - 1);
      first = false;
      lastSequence = buf.sequence;
      auto frame = std::make_unique<CamFrame>();
      frame->timestampMs = captureTime(buf);
      frame->sequence = buf.sequence;
      std::string error;
      bool gone = false;
      bool ok = passthrough_ ? passBuffer(buffers_[buf.index].first, buf.bytesused, *frame)
                             : convertBuffer(buffers_[buf.index].first, *frame, sink, error, gone);
      if (xioctl(fd_, VIDIOC_QBUF, &buf) < 0) return errnoError(path_, "VIDIOC_QBUF", errno).message;
      if (!ok) return error;
      if (gone || (passthrough_ && !sink.offer(std::move(frame)))) return "";
    }
    return "";
  }

 private:
  bool fail(CamV4l2Error &error, const char *what) {
    error = errnoError(path_, what, errno);
    return false;
  }

  // Wall-clock ms of the buffer's capture: drivers stamp it on the monotonic clock.
  static int64_t captureTime(const v4l2_buffer &buf) {
    int64_t now = camWallClockMs();
    if ((buf.flags & V4L2_BUF_FLAG_TIMESTAMP_MASK) != V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) return now;
    timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    int64_t age = (static_cast<int64_t>(mono.tv_sec) * 1000000 + mono.tv_nsec / 1000) -
                  (static_cast<int64_t>(buf.timestamp.tv_sec) * 1000000 + buf.timestamp.tv_usec);
    return age > 0 ? now - age / 1000 : now;
  }

  // An H.264 camera's access unit, with SPS/PPS put before an IDR that lacks them.
  bool passBuffer(const uint8_t *data, size_t size, CamFrame &frame) {
    if (takeKeyframeRequest()) forceKeyframe();
    uint8_t prefix[sizeof params_.sps + sizeof params_.pps + 8];
    size_t extra = cam_param_sets_prefix(&params_, data, size, prefix);
    frame.data.assign(prefix, prefix + extra);
    frame.data.insert(frame.data.end(), data, data + size);
    frame.keyframe = (cam_annexb_types(data, size) >> CAM_NAL_IDR) & 1;
    return true;
  }

  // A YUYV capture (at least frameBytes_, checked), converted once and handed to every stream
  // (scaled, encoded).
  bool convertBuffer(const uint8_t *data, const CamFrame &capture, CamSink &sink, std::string &error,
                     bool &gone) {
    cam_yuyv_to_i420(data, static_cast<int>(stride_), &picture_);
    return streams_->emit(picture_, capture.sequence, capture.timestampMs, *this, sink, error, gone);
  }

  // Best effort: UVC H.264 cameras differ in how (and whether) an IDR can be forced.
  void forceKeyframe() {
    v4l2_control control{V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, 1};
    xioctl(fd_, VIDIOC_S_CTRL, &control);
  }

  std::string path_;
  int fd_;
  bool passthrough_;
  uint32_t stride_ = 0;     // bytes per YUYV row, checked against the width (0 for H.264)
  size_t frameBytes_ = 1;   // the fewest bytes a buffer must hold: a YUYV frame, 1 for H.264
  std::vector<std::pair<uint8_t *, size_t>> buffers_;
  cam_param_sets params_{};
  std::unique_ptr<CamStreams> streams_;
  std::vector<uint8_t> pixels_;
  cam_i420 picture_{};
};

}  // namespace

bool camV4l2Probe(const std::string &path, CamV4l2Device &out, CamV4l2Error &error) {
  v4l2_capability cap;
  int fd = openCapture(path, cap, error);
  if (fd < 0) return false;
  out.driver = reinterpret_cast<char *>(cap.driver);
  out.card = reinterpret_cast<char *>(cap.card);
  out.busInfo = reinterpret_cast<char *>(cap.bus_info);
  v4l2_fmtdesc desc;
  memset(&desc, 0, sizeof desc);
  desc.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  for (desc.index = 0; xioctl(fd, VIDIOC_ENUM_FMT, &desc) == 0; desc.index++) {
    CamV4l2Format format;
    format.fourcc = fourccName(desc.pixelformat);
    format.description = reinterpret_cast<char *>(desc.description);
    listSizes(fd, desc.pixelformat, format);
    out.formats.push_back(format);
  }
  close(fd);
  return true;
}

std::unique_ptr<CamSource> camMakeV4l2Source(const CamV4l2Config &config,
                                             std::vector<CamStreamConfig> &actual,
                                             CamV4l2Error &error) {
  v4l2_capability cap;
  int fd = openCapture(config.path, cap, error);
  if (fd < 0) return nullptr;
  auto source = std::make_unique<V4l2Source>(config.path, fd, config.fourcc == "H264");
  if (!source->configure(config, actual, error)) return nullptr;
  return source;
}
