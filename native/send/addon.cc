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

// Reads a Uint8Array argument (one napi_get_typedarray_info); false when it is none.
bool Bytes(napi_env env, napi_value value, const void **data, size_t *length) {
  napi_typedarray_type type;
  void *bytes = nullptr;
  if (napi_get_typedarray_info(env, value, &type, length, &bytes, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array)
    return false;
  *data = bytes;
  return true;
}

// send(fd, head, body) -> bytes sent of the two (0 = would block), or -errno. Called once per
// client per frame.
Napi::Value Send(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsNumber() || !info[1].IsTypedArray() ||
      !info[2].IsTypedArray())
    return Invalid(env,
                   "@cam/send: send(fd, head, body) wants a file descriptor and two Uint8Arrays");
  double fd = info[0].As<Napi::Number>().DoubleValue();
  if (!(fd >= 0 && fd <= INT_MAX) || std::floor(fd) != fd)
    return Invalid(env, "@cam/send: the file descriptor must be an integer from 0 to 2^31-1");
  const void *head = nullptr;
  const void *body = nullptr;
  size_t head_length = 0;
  size_t body_length = 0;
  if (!Bytes(env, info[1], &head, &head_length) || !Bytes(env, info[2], &body, &body_length))
    return Invalid(env, "@cam/send: head and body must be Uint8Arrays (or Buffers)");
  if (head_length > CAM_SEND_MAX_BYTES || body_length > CAM_SEND_MAX_BYTES - head_length)
    return Invalid(env, "@cam/send: head and body are longer than maxBytes (1 GiB) per call");
  return Napi::Number::New(env, (double)cam_send((int)fd, head, head_length, body, body_length));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("send", Napi::Function::New(env, Send, "send"));
  exports.Set("maxBytes", Napi::Number::New(env, (double)CAM_SEND_MAX_BYTES));
  return exports;
}

}  // namespace

NODE_API_MODULE(cam_send, Init)
