/* Raw picture helpers of the camera addon: the synthetic test picture and pixel-format
 * conversion. Pure C with no dependencies, so the riscv64 self-test runs them under qemu. */
#ifndef CAM_IMAGE_H
#define CAM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One planar YUV 4:2:0 picture (I420): Y is width x height, U and V are half in each axis.
 * Width and height are even (the TypeScript layer rejects odd sizes before native code runs). */
typedef struct cam_i420 {
  int width;
  int height;
  uint8_t *y;
  uint8_t *u;
  uint8_t *v;
} cam_i420;

/* Bytes an I420 picture of this size needs. */
size_t cam_i420_size(int width, int height);

/* Points the planes of `pic` into `buf` (cam_i420_size bytes). */
void cam_i420_wrap(cam_i420 *pic, uint8_t *buf, int width, int height);

/* Draws frame `sequence` of the moving test pattern, with the sequence number and the wall-clock
 * capture time (UTC, HH:MM:SS.mmm) written into the picture so a screenshot shows which frame it
 * is and when it was taken. */
void cam_draw_test_pattern(cam_i420 *pic, uint64_t sequence, int64_t capture_time_ms);

/* Writes `text` (digits, ':', '.', '-' and spaces; other characters are drawn as spaces) at
 * (x, y) with each font pixel `scale` x `scale` picture pixels, white on a black box. */
void cam_draw_text(cam_i420 *pic, int x, int y, int scale, const char *text);

/* Converts packed YUYV 4:2:2 (a V4L2 camera's usual raw format) to I420, averaging the chroma
 * of each pair of rows. `stride` is the YUYV line length in bytes (>= 2 * width). */
void cam_yuyv_to_i420(const uint8_t *yuyv, int stride, cam_i420 *out);

#ifdef __cplusplus
}
#endif

#endif
