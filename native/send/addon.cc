// Node binding of cam_send.h: converts and bounds the arguments, calls cam_send, returns its
// number. TypeScript (packages/send/src) validates first and decides what a result means; the
// checks here only keep a wrong call from reading out of bounds.
#include <napi.h>

#include <climits>
#include <cmath>

extern "C" {
#include "cam_send.h"
}

namespace {

Napi::Value Invalid(Napi::Env env, const char *message) {
  Napi::Error err = Napi::Error::New(env, message);
  err.Value().Set("code", Napi::String::New(env, "INVALID_ARGUMENT"));
  err.ThrowAsJavaScriptException();
  return env.Undefined();
}

// send(fd, data) -> bytes sent (0 = would block), or -errno. Called once per client per frame:
// the typed array is read with one napi_get_typedarray_info.
Napi::Value Send(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsNumber() || !info[1].IsTypedArray())
    return Invalid(env, "@cam/send: send(fd, data) wants a file descriptor and a Uint8Array");
  double fd = info[0].As<Napi::Number>().DoubleValue();
  if (!(fd >= 0 && fd <= INT_MAX) || std::floor(fd) != fd)
    return Invalid(env, "@cam/send: the file descriptor must be an integer from 0 to 2^31-1");
  napi_typedarray_type type;
  size_t length = 0;
  void *data = nullptr;
  if (napi_get_typedarray_info(env, info[1], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array)
    return Invalid(env, "@cam/send: data must be a Uint8Array (or a Buffer)");
  if (length > CAM_SEND_MAX_BYTES)
    return Invalid(env, "@cam/send: data is longer than maxBytes (1 GiB) per call");
  return Napi::Number::New(env, (double)cam_send((int)fd, data, length));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("send", Napi::Function::New(env, Send, "send"));
  exports.Set("maxBytes", Napi::Number::New(env, (double)CAM_SEND_MAX_BYTES));
  return exports;
}

}  // namespace

NODE_API_MODULE(cam_send, Init)
