// Node binding of the shm ring: a thin layer over cam_shm.h (reader) and cam_shm_writer.c.
// TypeScript (packages/shm/src) validates arguments and decides what to do; this file only
// converts arguments and results, hands the reader's mapping to JavaScript as an ArrayBuffer,
// and waits on the futex on a thread. The layout and the seqlock protocol are cam_shm.h's.
#include <napi.h>

#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "../include/cam_shm.h"

namespace {

Napi::Value Throw(Napi::Env env, int status, const std::string &message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Value().Set("code", Napi::String::New(env, cam_shm_status_code(status)));
  err.ThrowAsJavaScriptException();
  return env.Undefined();
}

// ------------------------------------------------------------------------------------ writer

class Writer : public Napi::ObjectWrap<Writer> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Writer",
                       {InstanceMethod("publish", &Writer::Publish),
                        InstanceMethod("setStreamInfo", &Writer::SetStreamInfo),
                        InstanceMethod("setParameterSets", &Writer::SetParameterSets),
                        InstanceMethod("setPixelFormat", &Writer::SetPixelFormat),
                        InstanceMethod("link", &Writer::Link),
                        InstanceMethod("heartbeat", &Writer::Heartbeat),
                        InstanceMethod("info", &Writer::Info),
                        InstanceMethod("close", &Writer::Close)});
  }

  // new Writer(name, totalBytes, slots, mode, gid)  (TypeScript has validated the types)
  explicit Writer(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Writer>(info) {
    std::string name = info[0].As<Napi::String>();
    char err[256];
    int rc = cam_shm_writer_create(&w_, name.c_str(), (uint64_t)info[1].As<Napi::Number>().Int64Value(),
                                   info[2].As<Napi::Number>().Uint32Value(),
                                   info[3].As<Napi::Number>().Uint32Value(),
                                   info[4].As<Napi::Number>().Int64Value(), err, sizeof err);
    if (rc != CAM_SHM_OK) Throw(info.Env(), rc, err);
  }

  ~Writer() override { cam_shm_writer_close(&w_); }

 private:
  bool Open(const Napi::CallbackInfo &info) {
    if (w_.base) return true;
    Throw(info.Env(), CAM_SHM_INVALID, std::string("shm writer ") + w_.name + ": closed");
    return false;
  }

  // publish(data, timestampMs, keyframe) -> frame sequence, or a negative cam_shm_status
  Napi::Value Publish(const Napi::CallbackInfo &info) {
    if (!Open(info)) return info.Env().Undefined();
    auto data = info[0].As<Napi::Uint8Array>();
    // A 4 GiB view would wrap to a small length in 32 bits: refuse it whole.
    if (data.ByteLength() > UINT32_MAX) return Napi::Number::New(info.Env(), CAM_SHM_TOO_LARGE);
    uint64_t seq = 0;
    int rc = cam_shm_writer_publish(&w_, data.Data(), (uint32_t)data.ByteLength(),
                                    (uint64_t)info[1].As<Napi::Number>().Int64Value(),
                                    info[2].As<Napi::Boolean>().Value(), &seq);
    return Napi::Number::New(info.Env(), rc == CAM_SHM_OK ? (double)seq : (double)rc);
  }

  Napi::Value SetStreamInfo(const Napi::CallbackInfo &info) {
    if (!Open(info)) return info.Env().Undefined();
    std::string codec = info[0].As<Napi::String>();
    cam_shm_writer_set_stream_info(&w_, codec.c_str(), info[1].As<Napi::Number>().Uint32Value(),
                                   info[2].As<Napi::Number>().Uint32Value(),
                                   info[3].As<Napi::Number>().Uint32Value());
    return info.Env().Undefined();
  }

  // setParameterSets(sps, pps, frameSeq) -> cam_shm_status
  Napi::Value SetParameterSets(const Napi::CallbackInfo &info) {
    if (!Open(info)) return info.Env().Undefined();
    auto sps = info[0].As<Napi::Uint8Array>();
    auto pps = info[1].As<Napi::Uint8Array>();
    if (sps.ByteLength() > UINT32_MAX || pps.ByteLength() > UINT32_MAX)
      return Napi::Number::New(info.Env(), CAM_SHM_TOO_LARGE);
    int rc = cam_shm_writer_set_parameter_sets(
        &w_, sps.Data(), (uint32_t)sps.ByteLength(), pps.Data(), (uint32_t)pps.ByteLength(),
        (uint64_t)info[2].As<Napi::Number>().Int64Value());
    return Napi::Number::New(info.Env(), rc);
  }

  // setPixelFormat(pixelFormat, stride)
  Napi::Value SetPixelFormat(const Napi::CallbackInfo &info) {
    if (!Open(info)) return info.Env().Undefined();
    cam_shm_writer_set_pixel_format(&w_, info[0].As<Napi::Number>().Uint32Value(),
                                    info[1].As<Napi::Number>().Uint32Value());
    return info.Env().Undefined();
  }

  // link(alias): a second name for the segment; throws like the constructor.
  Napi::Value Link(const Napi::CallbackInfo &info) {
    if (!Open(info)) return info.Env().Undefined();
    std::string alias = info[0].As<Napi::String>();
    char err[256];
    int rc = cam_shm_writer_link(&w_, alias.c_str(), err, sizeof err);
    if (rc != CAM_SHM_OK) Throw(info.Env(), rc, err);
    return info.Env().Undefined();
  }

  Napi::Value Heartbeat(const Napi::CallbackInfo &info) {
    if (w_.base) cam_shm_writer_heartbeat(&w_);
    return info.Env().Undefined();
  }

  Napi::Value Info(const Napi::CallbackInfo &info) {
    if (!Open(info)) return info.Env().Undefined();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("epoch", (double)w_.geometry.epoch);
    o.Set("slots", w_.geometry.slot_count);
    o.Set("slotBytes", w_.geometry.slot_bytes);
    o.Set("totalBytes", (double)w_.geometry.total_bytes);
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    cam_shm_writer_close(&w_);
    return info.Env().Undefined();
  }

  cam_shm_writer w_{};
};

// ------------------------------------------------------------------------------------ reader

// The mapping outlives the Reader object while JavaScript still holds frame views into it: the
// Reader, its waiter thread and the external ArrayBuffer each hold a reference, and the last one
// to go (usually the ArrayBuffer, on garbage collection) unmaps. V8 counts an external
// ArrayBuffer's length as external memory itself (process.memoryUsage().external grows by the
// ring size, once; packages/shm/test/hostile.test.ts checks it), so old mappings of a reader
// that resyncs often press the GC like any other buffer: no napi_adjust_external_memory on top.
struct Mapping {
  cam_shm_reader r{};
  ~Mapping() { cam_shm_reader_close(&r); }
};

// The nine values TryNext writes, in this order (packages/shm/src/reader.ts reads them).
constexpr size_t kTryNextValues = 9;

struct WaitResult {
  Napi::Promise::Deferred deferred;
  Napi::ThreadSafeFunction tsfn;
};

class Reader : public Napi::ObjectWrap<Reader> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Reader",
                       {InstanceMethod("tryNext", &Reader::TryNext),
                        InstanceMethod("valid", &Reader::Valid),
                        InstanceMethod("seek", &Reader::Seek),
                        InstanceMethod("notify", &Reader::Notify),
                        InstanceMethod("wait", &Reader::Wait),
                        InstanceMethod("status", &Reader::Status),
                        InstanceMethod("info", &Reader::Info),
                        InstanceMethod("streamInfo", &Reader::StreamInfo),
                        InstanceMethod("close", &Reader::Close)});
  }

  // new Reader(name); this.buffer = the whole segment (read-only memory: writing to it crashes)
  explicit Reader(const Napi::CallbackInfo &info) : Napi::ObjectWrap<Reader>(info) {
    std::string name = info[0].As<Napi::String>();
    auto map = std::make_shared<Mapping>();
    char err[256];
    int rc = cam_shm_reader_open(&map->r, name.c_str(), err, sizeof err);
    if (rc != CAM_SHM_OK) {
      Throw(info.Env(), rc, err);
      return;
    }
    map_ = map;
    auto *hold = new std::shared_ptr<Mapping>(map);
    auto buffer = Napi::ArrayBuffer::New(
        info.Env(), const_cast<uint8_t *>(map->r.base), map->r.size,
        [](Napi::Env, void *, std::shared_ptr<Mapping> *h) { delete h; }, hold);
    info.This().As<Napi::Object>().Set("buffer", buffer);
  }

  ~Reader() override { Stop(); }

 private:
  cam_shm_reader &r() { return map_->r; }

  // tryNext(out: Float64Array(>= 9)) -> 0 with out = [seq, timestampMs, publishUs, length,
  // flags, slot, lock, lost, dataOffset] filled, or -1 (nothing new); throws TRUNCATED when
  // the file shrank
  Napi::Value TryNext(const Napi::CallbackInfo &info) {
    auto array = info[0].As<Napi::Float64Array>();
    if (array.ElementLength() < kTryNextValues)
      return Throw(info.Env(), CAM_SHM_INVALID, "shm tryNext: the output array needs 9 elements");
    cam_shm_frame f;
    int rc = cam_shm_reader_try_next(&r(), &f);
    if (rc == CAM_SHM_TRUNCATED) return Throw(info.Env(), rc, TruncatedMessage());
    if (rc == CAM_SHM_OK) {
      double *out = array.Data();
      out[0] = (double)f.seq;
      out[1] = (double)f.timestamp_ms;
      out[2] = (double)f.publish_ns / 1000.0;
      out[3] = f.length;
      out[4] = f.flags;
      out[5] = f.slot;
      out[6] = f.lock;
      out[7] = (double)f.lost;
      out[8] = (double)(f.data - r().base);
    }
    return Napi::Number::New(info.Env(), rc);
  }

  // valid(slot, lock) -> the frame read under (slot, lock) was not overwritten since
  Napi::Value Valid(const Napi::CallbackInfo &info) {
    cam_shm_frame f{};
    f.slot = info[0].As<Napi::Number>().Uint32Value();  // cam_shm_frame_valid bounds it
    f.lock = info[1].As<Napi::Number>().Uint32Value();
    return Napi::Boolean::New(info.Env(), cam_shm_frame_valid(&r(), &f));
  }

  Napi::Value Seek(const Napi::CallbackInfo &info) {
    cam_shm_reader_seek(&r(), (cam_shm_start)info[0].As<Napi::Number>().Uint32Value());
    return info.Env().Undefined();
  }

  Napi::Value Notify(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), cam_shm_notify(&r()));
  }

  // wait(seenNotify, timeoutMs) -> Promise<void>, settled on a notify change, a spurious wake-up,
  // the timeout or close; settled at once when another wait is still pending or the reader is
  // closed (the caller re-checks either way). One waiter thread per reader, started by the first
  // wait, blocks in FUTEX_WAIT and hands the result to JavaScript through a thread-safe
  // function; nothing else calls into JavaScript.
  Napi::Value Wait(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    auto deferred = Napi::Promise::Deferred::New(env);
    std::unique_lock<std::mutex> lock(mu_);
    if (stop_ || pending_) {
      deferred.Resolve(env.Undefined());
      return deferred.Promise();
    }
    if (!thread_.joinable()) {
      auto noop = Napi::Function::New(env, [](const Napi::CallbackInfo &) {});
      tsfn_ = Napi::ThreadSafeFunction::New(env, noop, "cam-shm-wait", 0, 1);
      thread_ = std::thread([this, map = map_] { Loop(map); });
    }
    pending_ = new WaitResult{deferred, tsfn_};
    seen_ = info[0].As<Napi::Number>().Uint32Value();
    timeout_ms_ = (int)info[1].As<Napi::Number>().Int32Value();
    tsfn_.Ref(env);  // a pending wait keeps the process alive, like an open socket
    cv_.notify_one();
    return deferred.Promise();
  }

  void Loop(std::shared_ptr<Mapping> map) {
    for (;;) {
      WaitResult *job;
      uint32_t seen;
      int timeout;
      bool stopping;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || (pending_ && !running_); });
        if (stop_ && !pending_) break;
        job = pending_;
        running_ = true;
        seen = seen_;
        timeout = timeout_ms_;
        stopping = stop_;
      }
      if (!stopping) cam_shm_wait(&map->r, seen, timeout);
      {
        std::unique_lock<std::mutex> lock(mu_);
        pending_ = nullptr;
        running_ = false;
      }
      // The queue is unbounded but holds at most one call per wait() not yet settled, and
      // ShmReader keeps one wait pending at a time.
      tsfn_.BlockingCall(job, [](Napi::Env env, Napi::Function, WaitResult *res) {
        res->tsfn.Unref(env);
        res->deferred.Resolve(env.Undefined());
        delete res;
      });
    }
    std::unique_lock<std::mutex> lock(mu_);
    exited_ = true;
    exited_cv_.notify_all();
  }

  void Stop() {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_) return;
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) {
      // Wake our thread out of FUTEX_WAIT. Other waiters on the word see a spurious wake-up,
      // which the protocol allows (they re-check and wait again); nothing is written. A wake
      // that lands after the thread read stop_ but before it entered FUTEX_WAIT is lost, so
      // wake again every millisecond until the thread says it is out (this runs on the JS
      // thread, also from a GC finalizer: it must not wait for the wait's timeout).
      std::unique_lock<std::mutex> lock(mu_);
      while (!exited_) {
        syscall(SYS_futex, &map_->r.hdr->notify, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
        exited_cv_.wait_for(lock, std::chrono::milliseconds(1));
      }
      lock.unlock();
      thread_.join();
      tsfn_.Release();
    }
  }

  Napi::Value Status(const Napi::CallbackInfo &info) {
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("closed", cam_shm_writer_closed(&r()) != 0);
    o.Set("heartbeatAgeMs", (double)cam_shm_heartbeat_age_ms(&r()));
    o.Set("writeSeq", (double)cam_shm_write_seq(&r()));
    o.Set("replaced", cam_shm_reader_replaced(&r()) != 0);
    return o;
  }

  Napi::Value Info(const Napi::CallbackInfo &info) {
    Napi::Object o = Napi::Object::New(info.Env());
    const cam_shm_geometry &g = r().geometry;
    o.Set("epoch", (double)g.epoch);
    o.Set("slots", g.slot_count);
    o.Set("slotBytes", g.slot_bytes);
    o.Set("totalBytes", (double)g.total_bytes);
    o.Set("writerPid", g.writer_pid);
    return o;
  }

  // streamInfo() -> { codec, width, height, fpsMilli, sps, pps, psFrameSeq, pixelFormat, stride,
  // rawFrameBytes } (sps and pps are copies), or null when no consistent copy could be read (the
  // writer kept changing it, or its lengths are out of range); throws TRUNCATED when the file
  // shrank
  Napi::Value StreamInfo(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    cam_shm_stream_info s;
    int rc = cam_shm_read_stream_info(&r(), &s);
    if (rc == CAM_SHM_TRUNCATED) return Throw(env, rc, TruncatedMessage());
    if (rc != CAM_SHM_OK) return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("codec", s.codec);
    o.Set("width", s.width);
    o.Set("height", s.height);
    o.Set("fpsMilli", s.fps_milli);
    o.Set("sps", Napi::Buffer<uint8_t>::Copy(env, s.sps, s.sps_len));
    o.Set("pps", Napi::Buffer<uint8_t>::Copy(env, s.pps, s.pps_len));
    o.Set("psFrameSeq", (double)s.ps_frame_seq);
    o.Set("pixelFormat", s.pixel_format);
    o.Set("stride", s.stride);
    o.Set("rawFrameBytes", (double)cam_shm_raw_frame_bytes(&s));
    return o;
  }

  std::string TruncatedMessage() {
    return std::string("shm ") + r().name + ": the segment file shrank under the reader (" +
           "someone truncated it); reopen it once a writer has recreated it";
  }

  Napi::Value Close(const Napi::CallbackInfo &info) {
    Stop();
    return info.Env().Undefined();
  }

  std::shared_ptr<Mapping> map_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable exited_cv_;
  bool exited_ = false;  // the waiter thread left its loop (guarded by mu_)
  Napi::ThreadSafeFunction tsfn_;
  WaitResult *pending_ = nullptr;
  bool running_ = false;
  bool stop_ = false;
  uint32_t seen_ = 0;
  int timeout_ms_ = 0;
};

Napi::Object Layout(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("magic", CAM_SHM_MAGIC);
  o.Set("version", CAM_SHM_VERSION);
  o.Set("headerBytes", CAM_SHM_HEADER_BYTES);
  o.Set("slotEntryBytes", CAM_SHM_SLOT_ENTRY_BYTES);
  o.Set("paramSetBytes", CAM_SHM_PARAM_SET_BYTES);
  o.Set("codecBytes", CAM_SHM_CODEC_BYTES);
  o.Set("defaultTotalBytes", CAM_SHM_DEFAULT_TOTAL_BYTES);
  o.Set("defaultSlots", CAM_SHM_DEFAULT_SLOTS);
  o.Set("minSlots", CAM_SHM_MIN_SLOTS);
  o.Set("maxSlots", CAM_SHM_MAX_SLOTS);
  o.Set("flagKeyframe", CAM_SHM_FLAG_KEYFRAME);
  o.Set("stateClosed", CAM_SHM_STATE_CLOSED);
  o.Set("minorVersion", CAM_SHM_MINOR_VERSION);
  Napi::Object pixfmt = Napi::Object::New(env);
  pixfmt.Set("encoded", CAM_SHM_PIXFMT_ENCODED);
  pixfmt.Set("rgb24", CAM_SHM_PIXFMT_RGB24);
  pixfmt.Set("nv12", CAM_SHM_PIXFMT_NV12);
  pixfmt.Set("rgbPlanar", CAM_SHM_PIXFMT_RGB_PLANAR);
  o.Set("pixelFormats", pixfmt);
  o.Set("statusTruncated", (int)CAM_SHM_TRUNCATED);
  Napi::Object h = Napi::Object::New(env);
#define CAM_OFF(obj, type, field) obj.Set(#field, (double)offsetof(type, field))
  CAM_OFF(h, cam_shm_header, magic);
  CAM_OFF(h, cam_shm_header, version);
  CAM_OFF(h, cam_shm_header, slot_count);
  CAM_OFF(h, cam_shm_header, slot_bytes);
  CAM_OFF(h, cam_shm_header, total_bytes);
  CAM_OFF(h, cam_shm_header, slot_table_offset);
  CAM_OFF(h, cam_shm_header, data_offset);
  CAM_OFF(h, cam_shm_header, epoch);
  CAM_OFF(h, cam_shm_header, writer_pid);
  CAM_OFF(h, cam_shm_header, minor_version);
  CAM_OFF(h, cam_shm_header, notify);
  CAM_OFF(h, cam_shm_header, state);
  CAM_OFF(h, cam_shm_header, write_seq);
  CAM_OFF(h, cam_shm_header, heartbeat_ns);
  CAM_OFF(h, cam_shm_header, info_lock);
  CAM_OFF(h, cam_shm_header, width);
  CAM_OFF(h, cam_shm_header, height);
  CAM_OFF(h, cam_shm_header, fps_milli);
  CAM_OFF(h, cam_shm_header, codec);
  CAM_OFF(h, cam_shm_header, sps_len);
  CAM_OFF(h, cam_shm_header, pps_len);
  CAM_OFF(h, cam_shm_header, ps_frame_seq);
  CAM_OFF(h, cam_shm_header, sps);
  CAM_OFF(h, cam_shm_header, pps);
  CAM_OFF(h, cam_shm_header, pixel_format);
  CAM_OFF(h, cam_shm_header, stride);
  Napi::Object s = Napi::Object::New(env);
  CAM_OFF(s, cam_shm_slot, lock);
  CAM_OFF(s, cam_shm_slot, flags);
  CAM_OFF(s, cam_shm_slot, frame_seq);
  CAM_OFF(s, cam_shm_slot, timestamp_ms);
  CAM_OFF(s, cam_shm_slot, length);
  CAM_OFF(s, cam_shm_slot, publish_ns);
#undef CAM_OFF
  o.Set("header", h);
  o.Set("slot", s);
  return o;
}

// nameProblem(name): null when cam_shm_path accepts the name, else why not (CAM_SHM_NAME_RULE).
Napi::Value NameProblem(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) return Napi::String::New(env, "not a string");
  std::string name = info[0].As<Napi::String>().Utf8Value();
  char path[CAM_SHM_NAME_MAX + 16];
  bool ok = name.size() == strlen(name.c_str()) &&
            cam_shm_path(name.c_str(), path, sizeof path) == CAM_SHM_OK;
  return ok ? env.Null() : Napi::String::New(env, CAM_SHM_NAME_RULE);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("nameProblem", Napi::Function::New(env, NameProblem));
  exports.Set("Writer", Writer::Init(env));
  exports.Set("Reader", Reader::Init(env));
  exports.Set("layout", Layout(env));
  // ringBytesFor(slots, frameBytes): the segment size whose slots hold frames of that size.
  exports.Set("ringBytesFor", Napi::Function::New(env, [](const Napi::CallbackInfo &info) {
                return Napi::Number::New(
                    info.Env(), (double)cam_shm_total_bytes_for(
                                    info[0].As<Napi::Number>().Uint32Value(),
                                    (uint64_t)info[1].As<Napi::Number>().Int64Value()));
              }));
  return exports;
}

}  // namespace

NODE_API_MODULE(cam_shm, Init)
