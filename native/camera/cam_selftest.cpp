// The addon's native core without Node: run on the build machine and as a static riscv64
// program under qemu-riscv64-static by tools/check-riscv64.sh, which compares the `check`
// lines of both (same pixels, same bitstream decisions on both architectures). Exits non-zero
// when a property fails. Printed `info` lines differ by machine and are not compared.
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "cam_annexb.h"
#include "cam_image.h"
#include "cam_source.h"
#include "cam_v4l2_limits.h"

namespace {

int failures = 0;

void expect(bool ok, const char *what) {
  if (!ok) {
    std::printf("FAIL %s\n", what);
    failures++;
  }
}

uint32_t fnv1a(const uint8_t *data, size_t size, uint32_t hash = 2166136261u) {
  for (size_t i = 0; i < size; i++) hash = (hash ^ data[i]) * 16777619u;
  return hash;
}

void checkPattern() {
  std::vector<uint8_t> buf(cam_i420_size(96, 64));
  cam_i420 pic;
  cam_i420_wrap(&pic, buf.data(), 96, 64);
  uint32_t hash = 2166136261u;
  for (uint64_t seq = 0; seq < 3; seq++) {
    // 2026-01-02T03:04:05.678Z: the clock drawn into the picture is part of what is compared.
    cam_draw_test_pattern(&pic, seq, 1767323045678LL);
    hash = fnv1a(buf.data(), buf.size(), hash);
  }
  std::printf("check pattern %08x\n", hash);
  // The frame number sits in a black box one font pixel (here 1 px) in from the corner.
  expect(pic.y[0] != 16 && pic.y[96 + 1] == 16, "text box drawn one font pixel in");
}

void checkYuyv() {
  const int w = 8, h = 4, stride = 2 * w + 4;  // padded lines, as some drivers give
  std::vector<uint8_t> yuyv(static_cast<size_t>(stride) * h);
  for (size_t i = 0; i < yuyv.size(); i++) yuyv[i] = static_cast<uint8_t>(i * 7);
  std::vector<uint8_t> out(cam_i420_size(w, h));
  cam_i420 pic;
  cam_i420_wrap(&pic, out.data(), w, h);
  cam_yuyv_to_i420(yuyv.data(), stride, &pic);
  std::printf("check yuyv %08x\n", fnv1a(out.data(), out.size()));
  expect(pic.y[1] == yuyv[2] && pic.y[w] == yuyv[stride], "luma taken from both rows");
  expect(pic.u[0] == (yuyv[1] + yuyv[stride + 1] + 1) / 2, "chroma averaged over two rows");
}

void checkAnnexB() {
  const uint8_t sps[] = {0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0x8c};
  const uint8_t pps[] = {0, 0, 1, 0x68, 0xce, 0x3c, 0x80};
  const uint8_t idr[] = {0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x00, 0x03, 0x01, 0x00};
  const uint8_t p[] = {0, 0, 0, 1, 0x41, 0x9a, 0x02};
  std::vector<uint8_t> first(sps, sps + sizeof sps);
  first.insert(first.end(), pps, pps + sizeof pps);
  first.insert(first.end(), idr, idr + sizeof idr);
  uint32_t types = cam_annexb_types(first.data(), first.size());
  std::printf("check types %08x\n", types);
  expect(types == ((1u << 5) | (1u << 7) | (1u << 8)), "SPS, PPS and IDR found");
  expect(cam_annexb_types(p, sizeof p) == (1u << 1), "P slice alone");

  cam_param_sets ps{};
  uint8_t prefix[sizeof ps.sps + sizeof ps.pps + 8];
  expect(cam_param_sets_prefix(&ps, first.data(), first.size(), prefix) == 0, "no prefix when present");
  expect(cam_param_sets_prefix(&ps, p, sizeof p, prefix) == 0, "no prefix before a P slice");
  size_t n = cam_param_sets_prefix(&ps, idr, sizeof idr, prefix);
  std::printf("check prefix %zu %08x\n", n, fnv1a(prefix, n));
  expect(n == 4 + 5 + 4 + 4, "SPS and PPS put before a bare IDR");
  expect((cam_annexb_types(prefix, n) & ((1u << 7) | (1u << 8))) == ((1u << 7) | (1u << 8)), "prefix parses");
}

void checkStop() {
  CamStop stop;
  auto now = std::chrono::steady_clock::now();
  expect(!stop.waitUntil(now), "a past deadline returns without a stop");
  bool woke = false;
  std::thread waiter([&] { woke = stop.waitUntil(std::chrono::steady_clock::now() + std::chrono::hours(1)); });
  stop.request();
  waiter.join();
  expect(woke && stop.requested(), "stop wakes a waiter at once");
}

// What a V4L2 driver reports is bounded before it sizes or indexes anything (no device here:
// the checks are pure functions, fed hostile values).
void checkV4l2Limits() {
  uint32_t stride = 1;
  expect(!cam_v4l2_check_format(1, 640, 480, 0, 0, &stride) && stride == 1280, "YUYV without padding");
  expect(!cam_v4l2_check_format(1, 640, 480, 1344, 1344 * 480, &stride) && stride == 1344, "padded rows");
  expect(!cam_v4l2_check_format(0, 1920, 1080, 0, 1 << 20, &stride) && stride == 0, "H.264 has no rows");
  expect(cam_v4l2_check_format(1, 0, 480, 0, 0, &stride) != nullptr, "zero width refused");
  expect(cam_v4l2_check_format(0, 0x80000000u, 2, 0, 0, &stride) != nullptr, "width past int refused");
  expect(cam_v4l2_check_format(1, 640, 480, 1000, 0, &stride) != nullptr, "row shorter than 2 x width refused");
  expect(cam_v4l2_check_format(1, 0xFFFFFFFFu, 0xFFFFFFFFu, 0, 0, &stride) != nullptr, "2 x width past 32 bits refused");
  expect(cam_v4l2_check_format(1, 16384, 16384, 0xFFFFFFFFu, 0, &stride) != nullptr, "stride x height past 4 GiB refused");
  expect(cam_v4l2_check_format(1, 640, 480, 0, 1000, &stride) != nullptr, "sizeimage below a frame refused");
  expect(cam_v4l2_fps(1, 30, 25) == 30 && cam_v4l2_fps(1001, 30000, 25) == 30, "rate from the time per frame");
  expect(cam_v4l2_fps(0, 30, 25) == 25 && cam_v4l2_fps(1, 0xFFFFFFFFu, 25) == 25 && cam_v4l2_fps(0xFFFFFFFFu, 1, 25) == 25,
         "a rate of 0 or past 1000 fps keeps the one asked for");
  expect(!cam_v4l2_check_buffer_count(4) && cam_v4l2_check_buffer_count(0) && cam_v4l2_check_buffer_count(33),
         "buffer count 1..32");
  const size_t frame = 1280 * 480;
  expect(cam_v4l2_check_buffer(3, 4, frame, frame, frame) == CAM_V4L2_BUFFER_OK, "a whole frame");
  expect(cam_v4l2_check_buffer(4, 4, frame, frame, frame) == CAM_V4L2_BUFFER_BAD_INDEX, "index past the buffers");
  expect(cam_v4l2_check_buffer(0xFFFFFFFFu, 4, 1, frame, 1) == CAM_V4L2_BUFFER_BAD_INDEX, "huge index");
  expect(cam_v4l2_check_buffer(0, 4, frame + 1, frame, frame) == CAM_V4L2_BUFFER_OVERSIZED, "bytesused past the mapping");
  expect(cam_v4l2_check_buffer(0, 4, 0xFFFFFFFFu, 4096, 1) == CAM_V4L2_BUFFER_OVERSIZED, "huge bytesused");
  expect(cam_v4l2_check_buffer(0, 4, frame - 1, frame, frame) == CAM_V4L2_BUFFER_SHORT, "short raw frame");
  expect(cam_v4l2_check_buffer(0, 4, 0, 4096, 1) == CAM_V4L2_BUFFER_SHORT, "empty H.264 buffer");
}

void infoEncoder() {
  std::string version, error;
  if (CamOpenH264::version(version, error)) {
    std::printf("info encoder %s\n", version.c_str());
  } else {
    std::printf("info encoder unavailable: %s\n", error.c_str());
    expect(error.find("apt-get install libopenh264-7") != std::string::npos, "missing OpenH264 names the package");
  }
}

}  // namespace

int main() {
  checkPattern();
  checkYuyv();
  checkAnnexB();
  checkStop();
  checkV4l2Limits();
  infoEncoder();
  std::printf("%s\n", failures ? "selftest FAILED" : "selftest ok");
  return failures ? 1 : 0;
}
