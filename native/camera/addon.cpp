// The JavaScript face of the camera backends: one NativeCamera per open camera, running its
// backend on a native thread and handing each access unit to JavaScript through a thread-safe
// function whose bounded queue is the only buffer between the two. TypeScript validates every
// parameter before this code runs.
#include <napi.h>

#include <map>
#include <thread>

#include "cam_sophgo.h"
#include "cam_source.h"
#include "cam_streams.h"
#include "cam_v4l2.h"

namespace {

// Frames that may wait for the JavaScript thread (about 0.27 s at 30 fps). When it is full the
// frame is dropped, and so is every frame up to the next keyframe (they could not be decoded).
constexpr size_t kQueueFrames = 8;
// Encode durations kept for the percentiles of stats().
constexpr size_t kEncodeSamples = 256;

Napi::Error camError(Napi::Env env, const std::string &code, const std::string &message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

// A JavaScript exception thrown by a callback we called from native code (a throwing 'frame'
// listener) would otherwise be swallowed by Node-API with a deprecation warning: raise it as an
// uncaught exception, as an EventEmitter emitting from an I/O callback would.
void rethrowPending(Napi::Env env) {
  if (env.IsExceptionPending()) napi_fatal_exception(env, env.GetAndClearPendingException().Value());
}

int intParam(const Napi::Object &params, const char *name) {
  return params.Get(name).As<Napi::Number>().Int32Value();
}

CamEncoderConfig encoderParams(const Napi::Object &params) {
  return {intParam(params, "width"), intParam(params, "height"), intParam(params, "fps"),
          intParam(params, "bitrateKbps"), intParam(params, "gop")};
}

// The `format` names of the TypeScript API (StreamFormat), by CamPixels.
const std::pair<CamPixels, const char *> kFormats[] = {
    {CamPixels::H264, "h264"}, {CamPixels::RGB24, "rgb"}, {CamPixels::NV12, "nv12"}, {CamPixels::RGB_PLANAR, "rgbp"}};

// params.streams: [{ width, height, fps, bitrateKbps, gop, format: 'h264' | 'rgb' | 'nv12' |
// 'rgbp' }] (TypeScript checked every value); without it, one H.264 stream of params' own settings.
std::vector<CamStreamConfig> streamParams(const Napi::Object &params) {
  std::vector<CamStreamConfig> streams;
  Napi::Value list = params.Get("streams");
  if (!list.IsArray()) return {{encoderParams(params), CamPixels::H264}};
  Napi::Array array = list.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Object s = array.Get(i).As<Napi::Object>();
    std::string format = s.Get("format").As<Napi::String>();
    CamPixels pixels = CamPixels::H264;
    for (const auto &f : kFormats) {
      if (format == f.second) pixels = f.first;
    }
    streams.push_back({encoderParams(s), pixels});
  }
  return streams;
}

const char *pixelsName(CamPixels pixels) {
  for (const auto &f : kFormats) {
    if (pixels == f.first) return f.second;
  }
  return "h264";
}

class NativeCamera;
void callJs(Napi::Env env, Napi::Function onFrame, NativeCamera *camera, CamFrame *frame);
using FrameQueue = Napi::TypedThreadSafeFunction<NativeCamera, CamFrame, callJs>;

class NativeCamera : public Napi::ObjectWrap<NativeCamera>, public CamSink {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativeCamera",
                       {InstanceMethod("requestKeyframe", &NativeCamera::requestKeyframe),
                        InstanceMethod("stats", &NativeCamera::stats),
                        InstanceMethod("describe", &NativeCamera::describe),
                        InstanceMethod("close", &NativeCamera::close)});
  }

  // new NativeCamera(kind, params, onFrame(wire, timestampMs, keyframe, sequence, stream),
  //                  onEnd(error?))
  // `wire` is the frame's bytes with params.roomBefore spare bytes before and params.roomAfter
  // after them (the wire message's framing, filled in place by JavaScript).
  explicit NativeCamera(const Napi::CallbackInfo &info) : Napi::ObjectWrap<NativeCamera>(info) {
    Napi::Env env = info.Env();
    std::string kind = info[0].As<Napi::String>();
    Napi::Object params = info[1].As<Napi::Object>();
    roomBefore_ = static_cast<size_t>(intParam(params, "roomBefore"));
    roomAfter_ = static_cast<size_t>(intParam(params, "roomAfter"));
    CamEncoderConfig config = encoderParams(params);
    std::vector<CamStreamConfig> streams = streamParams(params);
    actual_ = streams;
    CamV4l2Error failure;
    source_ = makeSource(kind, params, config, streams, failure);
    if (!source_) {
      camError(env, failure.code, failure.message).ThrowAsJavaScriptException();
      return;
    }
    onEnd_ = Napi::Persistent(info[3].As<Napi::Function>());
    queue_ = FrameQueue::New(env, info[2].As<Napi::Function>(), "cam-frames",
                             kQueueFrames * actual_.size(), 1, this, finished);
    // Held until the queue is finalized: the backend thread uses this object until then.
    Ref();
    thread_ = std::thread([this] {
      error_ = source_->run(stop_, *this);
      queue_.Release();
    });
  }

  ~NativeCamera() override {
    if (thread_.joinable()) {
      stop_.request();
      thread_.join();
    }
  }

  // Builds the backend named by `kind`, filling actual_ and encoder_; null with `failure` set.
  std::unique_ptr<CamSource> makeSource(const std::string &kind, const Napi::Object &params,
                                        const CamEncoderConfig &config,
                                        const std::vector<CamStreamConfig> &streams,
                                        CamV4l2Error &failure) {
    std::string ignored;
    if (kind == "test") {
      auto source = camMakeTestSource(streams, failure.message);
      failure.code = "ENCODER_UNAVAILABLE";
      CamOpenH264::version(encoder_, ignored);
      return source;
    }
    if (kind == "v4l2") {
      // The capture: the size TypeScript chose from what the device offers, the highest rate.
      CamEncoderConfig capture = camCaptureOf(streams);
      capture.width = config.width;
      capture.height = config.height;
      CamV4l2Config v4l2{params.Get("path").As<Napi::String>(),
                         params.Get("fourcc").As<Napi::String>(), capture, streams};
      auto source = camMakeV4l2Source(v4l2, actual_, failure);
      if (v4l2.fourcc == "H264" && !actual_.empty()) {
        encoder_ = "camera (H.264 passthrough)";
        actual_[0].encoder.bitrateKbps = actual_[0].encoder.gop = 0;  // the camera's own choice
      } else {
        CamOpenH264::version(encoder_, ignored);
      }
      return source;
    }
    if (kind == "sophgo") {
      // One VPSS channel per stream; a VENC channel bound to each H.264 one.
      CamSophgoConfig sophgo{params.Get("root").As<Napi::String>(), streams};
      return camMakeSophgoSource(sophgo, encoder_, failure);
    }
    failure = {"SOURCE_UNAVAILABLE", "backend not built into this addon: " + kind};
    return nullptr;
  }

  bool deliver(std::unique_ptr<CamFrame> frame) override {
    const uint32_t stream = 1u << (frame->stream & 31);
    if ((awaitingKeyframe_ & stream) && !frame->keyframe) {
      dropped("awaitingKeyframe", 1);
      return true;
    }
    // The room for the wire framing, made here on the backend thread (one memmove in C) so the
    // JavaScript thread frames the message in place and copies nothing.
    frame->data.insert(frame->data.begin(), roomBefore_, 0);
    frame->data.resize(frame->data.size() + roomAfter_);
    napi_status status = queue_.NonBlockingCall(frame.get());
    if (status == napi_queue_full) {
      // JavaScript is behind: drop this stream up to its next keyframe and ask for one soon.
      awaitingKeyframe_ |= stream;
      source_->requestKeyframe(frame->stream);
      dropped("queueFull", 1);
      return true;
    }
    if (status != napi_ok) return false;  // closing: the environment is going away
    frame.release();  // now owned by the queue, then by the JavaScript Buffer
    awaitingKeyframe_ &= ~stream;
    return true;
  }

  void dropped(const char *reason, uint64_t count) override {
    std::lock_guard<std::mutex> lock(statsMutex_);
    dropped_[reason] += count;
  }

  void encodeTime(double ms) override {
    std::lock_guard<std::mutex> lock(statsMutex_);
    if (encodeMs_.size() < kEncodeSamples) {
      encodeMs_.push_back(ms);
    } else {
      encodeMs_[encodeNext_] = ms;
    }
    encodeNext_ = (encodeNext_ + 1) % kEncodeSamples;
  }

 private:
  static void finished(Napi::Env env, void *, NativeCamera *camera) {
    camera->thread_.join();
    Napi::Value error = env.Undefined();
    if (!camera->error_.empty()) error = camError(env, "CAPTURE_FAILED", camera->error_).Value();
    camera->onEnd_.Call({error});
    rethrowPending(env);
    camera->onEnd_.Reset();
    camera->Unref();
  }

  // requestKeyframe(stream?): that stream's next frame is an IDR; without one, every stream's.
  Napi::Value requestKeyframe(const Napi::CallbackInfo &info) {
    if (info.Length() > 0 && info[0].IsNumber()) {
      source_->requestKeyframe(info[0].As<Napi::Number>().Uint32Value());
    } else {
      source_->requestKeyframe();
    }
    return info.Env().Undefined();
  }

  Napi::Value stats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    Napi::Object dropped = Napi::Object::New(env);
    std::lock_guard<std::mutex> lock(statsMutex_);
    for (const auto &entry : dropped_) {
      dropped.Set(entry.first, Napi::Number::New(env, static_cast<double>(entry.second)));
    }
    out.Set("dropped", dropped);
    Napi::Array samples = Napi::Array::New(env, encodeMs_.size());
    for (size_t i = 0; i < encodeMs_.size(); i++) samples.Set(i, encodeMs_[i]);
    out.Set("encodeMs", samples);
    return out;
  }

  // What the backend actually runs at (a driver may grant another size or rate): stream 0's
  // settings, and `streams` with every stream's.
  Napi::Value describe(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto settings = [&](const CamStreamConfig &s) {
      Napi::Object out = Napi::Object::New(env);
      out.Set("width", s.encoder.width);
      out.Set("height", s.encoder.height);
      out.Set("fps", s.encoder.fps);
      out.Set("bitrateKbps", s.encoder.bitrateKbps);
      out.Set("gop", s.encoder.gop);
      out.Set("format", pixelsName(s.pixels));
      return out;
    };
    Napi::Object out = actual_.empty() ? Napi::Object::New(env) : settings(actual_[0]);
    Napi::Array streams = Napi::Array::New(env, actual_.size());
    for (size_t i = 0; i < actual_.size(); i++) streams.Set(i, settings(actual_[i]));
    out.Set("streams", streams);
    out.Set("encoder", encoder_);
    return out;
  }

  // Stops the backend; onEnd runs once the last queued frame has reached JavaScript.
  Napi::Value close(const Napi::CallbackInfo &info) {
    stop_.request();
    return info.Env().Undefined();
  }

  std::unique_ptr<CamSource> source_;
  std::vector<CamStreamConfig> actual_;
  std::string encoder_;
  CamStop stop_;
  FrameQueue queue_;
  Napi::FunctionReference onEnd_;
  std::thread thread_;
  std::string error_;            // written by the thread before Release(), read in finished()
  size_t roomBefore_ = 0, roomAfter_ = 0;  // spare bytes around each frame (constructor only)
  uint32_t awaitingKeyframe_ = 0;  // one bit per stream; backend thread only

  // Frames, bytes and keyframes are counted in TypeScript as they are emitted; native code
  // counts only what JavaScript never sees.
  std::mutex statsMutex_;
  std::map<std::string, uint64_t> dropped_;
  std::vector<double> encodeMs_;
  size_t encodeNext_ = 0;
};

void callJs(Napi::Env env, Napi::Function onFrame, NativeCamera *, CamFrame *frame) {
  if (env == nullptr) {  // the queue is being torn down with this frame still in it
    delete frame;
    return;
  }
  Napi::Buffer<uint8_t> data = Napi::Buffer<uint8_t>::NewOrCopy(
      env, frame->data.data(), frame->data.size(), [](Napi::Env, uint8_t *, CamFrame *f) { delete f; },
      frame);
  onFrame.Call({data, Napi::Number::New(env, static_cast<double>(frame->timestampMs)),
                Napi::Boolean::New(env, frame->keyframe),
                Napi::Number::New(env, static_cast<double>(frame->sequence)),
                Napi::Number::New(env, frame->stream)});
  rethrowPending(env);
}

Napi::Value encoderVersion(const Napi::CallbackInfo &info) {
  std::string version, error;
  if (!CamOpenH264::version(version, error)) {
    camError(info.Env(), "ENCODER_UNAVAILABLE", error).ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  return Napi::String::New(info.Env(), version);
}

// testPicture(width, height, sequence, timestampMs) -> Buffer: the I420 picture the test source
// draws for capture `sequence` taken at timestampMs (for checking what a channel made of it).
Napi::Value testPicture(const Napi::CallbackInfo &info) {
  int width = info[0].As<Napi::Number>().Int32Value();
  int height = info[1].As<Napi::Number>().Int32Value();
  auto buffer = Napi::Buffer<uint8_t>::New(info.Env(), cam_i420_size(width, height));
  cam_i420 picture;
  cam_i420_wrap(&picture, buffer.Data(), width, height);
  cam_draw_test_pattern(&picture, static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value()),
                        info[3].As<Napi::Number>().Int64Value());
  return buffer;
}

// probeSophgo(root) -> "" when the board's camera libraries load and resolve, else why not.
Napi::Value probeSophgo(const Napi::CallbackInfo &info) {
  CamError error;
  camSophgoLoad(info[0].As<Napi::String>(), error);
  return Napi::String::New(info.Env(), error.message);
}

Napi::Object sizeObject(Napi::Env env, const CamV4l2Size &size) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("width", size.width);
  out.Set("height", size.height);
  return out;
}

// probeV4l2(path) -> { driver, card, busInfo, formats: [{ fourcc, description, sizes, range? }] }
Napi::Value probeV4l2(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  CamV4l2Device device;
  CamV4l2Error error;
  if (!camV4l2Probe(info[0].As<Napi::String>(), device, error)) {
    camError(env, error.code, error.message).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("driver", device.driver);
  out.Set("card", device.card);
  out.Set("busInfo", device.busInfo);
  Napi::Array formats = Napi::Array::New(env, device.formats.size());
  for (size_t i = 0; i < device.formats.size(); i++) {
    const CamV4l2Format &f = device.formats[i];
    Napi::Object format = Napi::Object::New(env);
    format.Set("fourcc", f.fourcc);
    format.Set("description", f.description);
    Napi::Array sizes = Napi::Array::New(env, f.sizes.size());
    for (size_t j = 0; j < f.sizes.size(); j++) sizes.Set(j, sizeObject(env, f.sizes[j]));
    format.Set("sizes", sizes);
    if (f.stepwise) {
      Napi::Object range = Napi::Object::New(env);
      range.Set("min", sizeObject(env, f.min));
      range.Set("max", sizeObject(env, f.max));
      range.Set("step", sizeObject(env, f.step));
      format.Set("range", range);
    }
    formats.Set(i, format);
  }
  out.Set("formats", formats);
  return out;
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("probeV4l2", Napi::Function::New(env, probeV4l2));
  exports.Set("NativeCamera", NativeCamera::define(env));
  exports.Set("encoderVersion", Napi::Function::New(env, encoderVersion));
  exports.Set("testPicture", Napi::Function::New(env, testPicture));
  exports.Set("probeSophgo", Napi::Function::New(env, probeSophgo));
  exports.Set("queueFrames", Napi::Number::New(env, static_cast<double>(kQueueFrames)));
  return exports;
}

}  // namespace

NODE_API_MODULE(cam_camera, init)
