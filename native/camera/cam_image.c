#include "cam_image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t cam_i420_size(int width, int height) {
  return (size_t)width * (size_t)height * 3 / 2;
}

void cam_i420_wrap(cam_i420 *pic, uint8_t *buf, int width, int height) {
  size_t luma = (size_t)width * (size_t)height;
  pic->width = width;
  pic->height = height;
  pic->y = buf;
  pic->u = buf + luma;
  pic->v = buf + luma + luma / 4;
}

/* 3x5 pixel glyphs, one row per entry, bit 2 = left column. Digits plus the time separators. */
static const uint8_t cam_font_digits[10][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
};
static const uint8_t cam_font_colon[5] = {0, 2, 0, 2, 0};
static const uint8_t cam_font_dot[5] = {0, 0, 0, 0, 2};
static const uint8_t cam_font_dash[5] = {0, 0, 7, 0, 0};
static const uint8_t cam_font_space[5] = {0, 0, 0, 0, 0};

static const uint8_t *cam_glyph(char c) {
  if (c >= '0' && c <= '9') return cam_font_digits[c - '0'];
  if (c == ':') return cam_font_colon;
  if (c == '.') return cam_font_dot;
  if (c == '-') return cam_font_dash;
  return cam_font_space;
}

static void cam_fill_rect(cam_i420 *pic, int x0, int y0, int w, int h, uint8_t luma) {
  int x1 = x0 + w, y1 = y0 + h;
  if (x0 < 0) x0 = 0;
  if (y0 < 0) y0 = 0;
  if (x1 > pic->width) x1 = pic->width;
  if (y1 > pic->height) y1 = pic->height;
  for (int y = y0; y < y1; y++) {
    if (x1 > x0) memset(pic->y + (size_t)y * pic->width + x0, luma, (size_t)(x1 - x0));
  }
  /* Neutral chroma so the text is grey-scale whatever the pattern underneath. */
  int cw = pic->width / 2;
  for (int y = y0 / 2; y < (y1 + 1) / 2 && y < pic->height / 2; y++) {
    for (int x = x0 / 2; x < (x1 + 1) / 2 && x < cw; x++) {
      pic->u[(size_t)y * cw + x] = 128;
      pic->v[(size_t)y * cw + x] = 128;
    }
  }
}

void cam_draw_text(cam_i420 *pic, int x, int y, int scale, const char *text) {
  int len = (int)strlen(text);
  /* A black box one font pixel wider than the text on each side keeps it readable. */
  cam_fill_rect(pic, x - scale, y - scale, (len * 4 + 1) * scale, 7 * scale, 16);
  for (int i = 0; i < len; i++) {
    const uint8_t *g = cam_glyph(text[i]);
    for (int row = 0; row < 5; row++) {
      for (int col = 0; col < 3; col++) {
        if (g[row] & (4 >> col)) {
          cam_fill_rect(pic, x + (i * 4 + col) * scale, y + row * scale, scale, scale, 235);
        }
      }
    }
  }
}

void cam_draw_test_pattern(cam_i420 *pic, uint64_t sequence, int64_t capture_time_ms) {
  int w = pic->width, h = pic->height, cw = w / 2, ch = h / 2;
  unsigned shift = (unsigned)(sequence * 4);
  /* A diagonal luma ramp that scrolls 4 pixels a frame: every frame differs everywhere, like a
   * panning camera, so the encoder does real motion search rather than skipping. */
  for (int y = 0; y < h; y++) {
    uint8_t *row = pic->y + (size_t)y * w;
    for (int x = 0; x < w; x++) row[x] = (uint8_t)(32 + ((x + y + shift) & 127) + ((x >> 5) & 1) * 64);
  }
  /* Eight vertical colour bars that scroll the other way: every chroma row is the first. */
  for (int x = 0; x < cw; x++) {
    unsigned bar = (unsigned)(((x * 8) / cw + 8 - (sequence / 8) % 8) % 8);
    pic->u[x] = (uint8_t)(bar & 1 ? 200 : 56) + (uint8_t)(bar * 4);
    pic->v[x] = (uint8_t)(bar & 2 ? 200 : 56) + (uint8_t)(bar * 4);
  }
  for (int y = 1; y < ch; y++) {
    memcpy(pic->u + (size_t)y * cw, pic->u, (size_t)cw);
    memcpy(pic->v + (size_t)y * cw, pic->v, (size_t)cw);
  }
  /* A square bouncing along the width: motion a viewer can follow. */
  int side = h / 6 > 8 ? h / 6 : 8;
  int span = w - side > 1 ? w - side : 1;
  int pos = (int)((sequence * 8) % (uint64_t)(2 * span));
  cam_fill_rect(pic, pos < span ? pos : 2 * span - pos, h / 2 - side / 2, side, side, 235);

  int scale = h / 90 > 1 ? h / 90 : 1;
  char line[32];
  snprintf(line, sizeof line, "%08llu", (unsigned long long)sequence);
  cam_draw_text(pic, 2 * scale, 2 * scale, scale, line);
  int64_t day_ms = capture_time_ms % 86400000;
  snprintf(line, sizeof line, "%02d:%02d:%02d.%03d", (int)(day_ms / 3600000),
           (int)(day_ms / 60000 % 60), (int)(day_ms / 1000 % 60), (int)(day_ms % 1000));
  cam_draw_text(pic, 2 * scale, 10 * scale, scale, line);
}

void cam_yuyv_to_i420(const uint8_t *yuyv, int stride, cam_i420 *out) {
  int w = out->width, h = out->height, cw = w / 2;
  for (int y = 0; y < h; y += 2) {
    const uint8_t *r0 = yuyv + (size_t)y * stride;
    const uint8_t *r1 = r0 + stride;
    uint8_t *y0 = out->y + (size_t)y * w;
    uint8_t *y1 = y0 + w;
    uint8_t *u = out->u + (size_t)(y / 2) * cw;
    uint8_t *v = out->v + (size_t)(y / 2) * cw;
    for (int x = 0; x < cw; x++) {
      y0[2 * x] = r0[4 * x];
      y0[2 * x + 1] = r0[4 * x + 2];
      y1[2 * x] = r1[4 * x];
      y1[2 * x + 1] = r1[4 * x + 2];
      u[x] = (uint8_t)((r0[4 * x + 1] + r1[4 * x + 1] + 1) / 2);
      v[x] = (uint8_t)((r0[4 * x + 3] + r1[4 * x + 3] + 1) / 2);
    }
  }
}

/* ---- scaling ------------------------------------------------------------------------------ */

#define CAM_W_ONE 16384

static void cam_axis_free(cam_axis *a) {
  free(a->first);
  free(a->weight);
  a->first = NULL;
  a->weight = NULL;
}

/* Weights of output i as doubles into w[] (from source index *first), count returned. */
static int cam_axis_taps(int src, int dst, int i, int *first, double *w, int max) {
  int n = 0;
  if (src > dst) {
    /* Area: the output pixel covers [i*r, (i+1)*r) of the source; each source pixel counts by
     * the length of its overlap with that interval. */
    double r = (double)src / dst, a = i * r, b = (i + 1) * r;
    int j0 = (int)a, j1 = (int)b;
    if (j1 >= src) j1 = src - 1;
    *first = j0;
    for (int j = j0; j <= j1 && n < max; j++) {
      double lo = a > j ? a : j, hi = b < j + 1 ? b : j + 1;
      w[n++] = hi > lo ? (hi - lo) / r : 0;
    }
  } else {
    /* Linear, centres aligned: output centre i + 0.5 maps to source (i + 0.5) * src / dst. */
    double c = (i + 0.5) * src / dst - 0.5;
    if (c < 0) c = 0;
    if (c > src - 1) c = src - 1;
    int j = (int)c;
    double f = c - j;
    *first = j;
    w[n++] = 1 - f;
    if (j + 1 < src && n < max) w[n++] = f;
  }
  return n;
}

static int cam_axis_init(cam_axis *a, int src, int dst) {
  double w[64];
  int first;
  a->src = src;
  a->dst = dst;
  a->taps = 1;
  a->first = NULL;
  a->weight = NULL;
  if (src < 1 || dst < 1 || src / dst > 62) return -1; /* at most 62:1, ample for video */
  for (int i = 0; i < dst; i++) {
    int n = cam_axis_taps(src, dst, i, &first, w, 64);
    if (n > a->taps) a->taps = n;
  }
  a->first = (int *)malloc(sizeof(int) * (size_t)dst);
  a->weight = (int16_t *)calloc((size_t)dst * (size_t)a->taps, sizeof(int16_t));
  if (!a->first || !a->weight) {
    cam_axis_free(a);
    return -1;
  }
  for (int i = 0; i < dst; i++) {
    int n = cam_axis_taps(src, dst, i, &first, w, 64);
    int16_t *out = a->weight + (size_t)i * a->taps;
    int sum = 0, biggest = 0;
    for (int k = 0; k < n; k++) {
      out[k] = (int16_t)(w[k] * CAM_W_ONE + 0.5);
      sum += out[k];
      if (out[k] > out[biggest]) biggest = k;
    }
    out[biggest] = (int16_t)(out[biggest] + CAM_W_ONE - sum); /* exact unity gain */
    /* Keep every tap inside the source: the last ones may start near the edge. */
    if (first + a->taps > src) {
      int shift = first + a->taps - src;
      if (shift > first) shift = first;
      memmove(out + shift, out, sizeof(int16_t) * (size_t)(a->taps - shift));
      memset(out, 0, sizeof(int16_t) * (size_t)shift);
      first -= shift;
    }
    a->first[i] = first;
  }
  return 0;
}

int cam_scaler_init(cam_scaler *s, int sw, int sh, int dw, int dh) {
  memset(s, 0, sizeof *s);
  if (cam_axis_init(&s->x, sw, dw) != 0 || cam_axis_init(&s->y, sh, dh) != 0) {
    cam_scaler_free(s);
    return -1;
  }
  s->rows = (uint16_t *)malloc(sizeof(uint16_t) * (size_t)sh * (size_t)dw);
  if (!s->rows) {
    cam_scaler_free(s);
    return -1;
  }
  return 0;
}

void cam_scaler_free(cam_scaler *s) {
  cam_axis_free(&s->x);
  cam_axis_free(&s->y);
  free(s->rows);
  s->rows = NULL;
}

void cam_scaler_run(const cam_scaler *s, const uint8_t *src, int src_stride, uint8_t *dst,
                    int dst_stride) {
  const cam_axis *x = &s->x, *y = &s->y;
  /* Horizontal: every source row to dw samples of 8.8 fixed point (up to 255 << 8). */
  for (int r = 0; r < y->src; r++) {
    const uint8_t *in = src + (size_t)r * src_stride;
    uint16_t *out = s->rows + (size_t)r * x->dst;
    for (int i = 0; i < x->dst; i++) {
      const uint8_t *p = in + x->first[i];
      const int16_t *w = x->weight + (size_t)i * x->taps;
      int32_t acc = 0;
      for (int k = 0; k < x->taps; k++) acc += w[k] * p[k];
      out[i] = (uint16_t)((acc + (1 << 5)) >> 6);
    }
  }
  /* Vertical: weighted sum of filtered rows; 16384 * 65280 < 2^31. */
  for (int i = 0; i < y->dst; i++) {
    const int16_t *w = y->weight + (size_t)i * y->taps;
    const uint16_t *base = s->rows + (size_t)y->first[i] * x->dst;
    uint8_t *out = dst + (size_t)i * dst_stride;
    for (int c = 0; c < x->dst; c++) {
      int32_t acc = 0;
      for (int k = 0; k < y->taps; k++) acc += w[k] * base[(size_t)k * x->dst + c];
      int v = (acc + (1 << 21)) >> 22;
      out[c] = (uint8_t)(v > 255 ? 255 : v);
    }
  }
}

void cam_i420_scale(const cam_scaler *luma, const cam_scaler *chroma, const cam_i420 *src,
                    cam_i420 *dst) {
  cam_scaler_run(luma, src->y, src->width, dst->y, dst->width);
  cam_scaler_run(chroma, src->u, src->width / 2, dst->u, dst->width / 2);
  cam_scaler_run(chroma, src->v, src->width / 2, dst->v, dst->width / 2);
}

static uint8_t cam_clamp8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }

void cam_i420_to_rgb(const cam_i420 *src, uint8_t *dst, int stride, int planar) {
  int w = src->width, h = src->height, cw = w / 2;
  /* Packed: R, G, B side by side; planar: the G plane one plane (h rows) after R, B after G. */
  const size_t step = planar ? 1 : 3, next = planar ? (size_t)h * (size_t)stride : 1;
  for (int r = 0; r < h; r++) {
    const uint8_t *yr = src->y + (size_t)r * w;
    const uint8_t *ur = src->u + (size_t)(r / 2) * cw;
    const uint8_t *vr = src->v + (size_t)(r / 2) * cw;
    uint8_t *out = dst + (size_t)r * stride;
    for (int c = 0; c < w; c++) {
      /* BT.601 limited range, 16.16 fixed point: 1.164 (Y-16), 1.596 V, 0.391 U + 0.813 V,
       * 2.018 U. */
      int yy = (yr[c] - 16) * 76309, u = ur[c / 2] - 128, v = vr[c / 2] - 128;
      out[step * c] = cam_clamp8((yy + 104597 * v + 32768) >> 16);
      out[step * c + next] = cam_clamp8((yy - 25675 * u - 53279 * v + 32768) >> 16);
      out[step * c + 2 * next] = cam_clamp8((yy + 132201 * u + 32768) >> 16);
    }
  }
}

void cam_i420_to_nv12(const cam_i420 *src, uint8_t *dst) {
  int w = src->width, h = src->height, cw = w / 2;
  memcpy(dst, src->y, (size_t)w * (size_t)h);
  uint8_t *uv = dst + (size_t)w * (size_t)h;
  for (int r = 0; r < h / 2; r++) {
    for (int c = 0; c < cw; c++) {
      uv[(size_t)r * w + 2 * c] = src->u[(size_t)r * cw + c];
      uv[(size_t)r * w + 2 * c + 1] = src->v[(size_t)r * cw + c];
    }
  }
}
