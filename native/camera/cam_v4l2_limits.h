// Bounds on what a V4L2 driver reports, checked before anything is sized or indexed from it: the
// driver is outside the process, and a buggy one must get a clear error or a counted drop, never
// an out-of-bounds read. Pure functions of plain integers (no device needed), so
// native/camera/cam_selftest.cpp tests them with hostile values; cam_v4l2.cpp applies them.
#ifndef CAM_V4L2_LIMITS_H
#define CAM_V4L2_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#define CAM_V4L2_MAX_SIDE 16384u                 /* pixels, either side of a capture */
#define CAM_V4L2_MAX_FRAME_BYTES (256u << 20)   /* one raw capture, stride × height */
#define CAM_V4L2_MAX_BUFFERS 32u                 /* VIDEO_MAX_FRAME: what REQBUFS may grant */

/* The format VIDIOC_S_FMT (or G_FMT) gave back. `raw`: YUYV, 2 bytes per pixel in rows of
 * `bytesperline` bytes (0: not padded, 2 × width); else compressed (H.264), which has no rows.
 * Returns NULL with *stride set (0 when compressed), or why the answer cannot be used. */
static inline const char *cam_v4l2_check_format(int raw, uint32_t width, uint32_t height,
                                                uint32_t bytesperline, uint32_t sizeimage,
                                                uint32_t *stride) {
  *stride = 0;
  if (width == 0 || height == 0 || width > CAM_V4L2_MAX_SIDE || height > CAM_V4L2_MAX_SIDE)
    return "size out of range (each side 1..16384)";
  if (!raw) return NULL;
  uint64_t row = bytesperline ? bytesperline : 2ull * width;
  if (row < 2ull * width) return "bytesperline shorter than a YUYV row (2 x width)";
  if (row * height > CAM_V4L2_MAX_FRAME_BYTES) return "bytesperline x height over 256 MiB";
  if (sizeimage != 0 && sizeimage < row * height)
    return "sizeimage smaller than bytesperline x height";
  *stride = (uint32_t)row;
  return NULL;
}

/* The frame rate VIDIOC_S_PARM reports as a time per frame (numerator / denominator s), rounded;
 * `asked` when the driver reports nothing usable (0, or past 1000 fps). */
static inline int cam_v4l2_fps(uint32_t numerator, uint32_t denominator, int asked) {
  if (numerator == 0) return asked;
  uint64_t fps = ((uint64_t)denominator + numerator / 2) / numerator;
  return fps >= 1 && fps <= 1000 ? (int)fps : asked;
}

/* How many buffers VIDIOC_REQBUFS granted: NULL, or why that count cannot be used. */
static inline const char *cam_v4l2_check_buffer_count(uint32_t count) {
  return count == 0 || count > CAM_V4L2_MAX_BUFFERS ? "buffer count out of range (1..32)" : NULL;
}

enum cam_v4l2_buffer_check {
  CAM_V4L2_BUFFER_OK = 0,
  CAM_V4L2_BUFFER_BAD_INDEX,  /* not one of the buffers mapped: the driver is broken, stop */
  CAM_V4L2_BUFFER_OVERSIZED,  /* bytesused past the mapped length: drop the frame */
  CAM_V4L2_BUFFER_SHORT       /* fewer bytes than one frame needs (min_bytes): drop the frame */
};

/* A buffer VIDIOC_DQBUF handed back: `index` among the `buffers` mapped, of which buffer
 * `index` is `mapped` bytes long (ignored for a bad index); min_bytes: a raw capture's
 * stride × height, 1 for compressed frames. */
static inline enum cam_v4l2_buffer_check cam_v4l2_check_buffer(uint32_t index, size_t buffers,
                                                               uint32_t bytesused, size_t mapped,
                                                               size_t min_bytes) {
  if (index >= buffers) return CAM_V4L2_BUFFER_BAD_INDEX;
  if (bytesused > mapped) return CAM_V4L2_BUFFER_OVERSIZED;
  if (bytesused < min_bytes) return CAM_V4L2_BUFFER_SHORT;
  return CAM_V4L2_BUFFER_OK;
}

#endif
