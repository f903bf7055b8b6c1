#include "cam_image.h"

#include <stdio.h>
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
