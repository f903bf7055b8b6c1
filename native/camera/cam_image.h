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

/* ---- scaling and raw output formats (channels: one capture, several sizes) ---------------- */

/* One axis of a resampler: output i is the weighted sum of `count` source samples from
 * `first[i]`, weights in 1/16384 that sum to 16384. Downscaling averages the exact area each
 * output pixel covers (a box filter, as ffmpeg's `area`); upscaling interpolates linearly
 * between the two nearest source samples (pixel centres aligned, as ffmpeg's `bilinear`). */
typedef struct cam_axis {
  int src, dst, taps; /* taps: weights per output (the largest count) */
  int *first;         /* dst entries */
  int16_t *weight;    /* dst * taps entries, unused ones 0 */
} cam_axis;

/* A plane scaler from sw x sh to dw x dh (8-bit samples), built once per size pair. */
typedef struct cam_scaler {
  cam_axis x, y;
  uint16_t *rows; /* sh x dw horizontally filtered rows, 8 extra bits of precision */
} cam_scaler;

/* Builds the scaler (allocates); 0 on success, -1 when out of memory or a size is < 1. */
int cam_scaler_init(cam_scaler *s, int sw, int sh, int dw, int dh);
void cam_scaler_free(cam_scaler *s);
/* Scales one plane; strides are bytes per row. */
void cam_scaler_run(const cam_scaler *s, const uint8_t *src, int src_stride, uint8_t *dst,
                    int dst_stride);

/* Scales an I420 picture to another I420 picture's size: `luma` for Y (src->width x height to
 * dst's), `chroma` for U and V (half sizes). */
void cam_i420_scale(const cam_scaler *luma, const cam_scaler *chroma, const cam_i420 *src,
                    cam_i420 *dst);

/* I420 to 8-bit R,G,B, BT.601 limited range (as ffmpeg converts yuv420p to rgb24 by default);
 * each chroma sample serves its 2x2 pixels. Packed (planar 0): 3 bytes a pixel, `stride` bytes
 * a row. Planar (1): an R plane, then G, then B, each height rows of `stride` bytes. */
void cam_i420_to_rgb(const cam_i420 *src, uint8_t *dst, int stride, int planar);

/* I420 to NV12: the Y plane, then U and V interleaved (width bytes a row, height / 2 rows). */
void cam_i420_to_nv12(const cam_i420 *src, uint8_t *dst);

#ifdef __cplusplus
}
#endif

#endif
