#include "cam_annexb.h"

#include <string.h>

/* Returns the offset of the first 00 00 01 at or after `from`, or `len`. */
static size_t cam_find_start(const uint8_t *d, size_t len, size_t from) {
  for (size_t i = from; i + 2 < len; i++) {
    if (d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1) return i;
  }
  return len;
}

int cam_annexb_next(const uint8_t *data, size_t len, size_t *pos, const uint8_t **nal,
                    size_t *nal_len) {
  for (;;) {
    size_t sc = cam_find_start(data, len, *pos);
    if (sc >= len) return 0;
    size_t begin = sc + 3;
    size_t end = cam_find_start(data, len, begin);
    *pos = end;
    /* The zero byte of a following 4-byte start code (and trailing zeros) belongs to no NAL. */
    while (end > begin && data[end - 1] == 0) end--;
    if (end > begin) {
      *nal = data + begin;
      *nal_len = end - begin;
      return 1;
    }
  }
}

uint32_t cam_annexb_types(const uint8_t *data, size_t len) {
  uint32_t types = 0;
  size_t pos = 0, n;
  const uint8_t *nal;
  while (cam_annexb_next(data, len, &pos, &nal, &n)) types |= 1u << (nal[0] & 0x1f);
  return types;
}

static size_t cam_put_nal(uint8_t *out, const uint8_t *nal, size_t n) {
  static const uint8_t start[4] = {0, 0, 0, 1};
  memcpy(out, start, 4);
  memcpy(out + 4, nal, n);
  return n + 4;
}

size_t cam_param_sets_prefix(cam_param_sets *ps, const uint8_t *au, size_t len, uint8_t *prefix) {
  size_t pos = 0, n;
  const uint8_t *nal;
  uint32_t types = 0;
  while (cam_annexb_next(au, len, &pos, &nal, &n)) {
    int type = nal[0] & 0x1f;
    types |= 1u << type;
    if (type == CAM_NAL_SPS && n <= sizeof ps->sps) {
      memcpy(ps->sps, nal, n);
      ps->sps_len = n;
    } else if (type == CAM_NAL_PPS && n <= sizeof ps->pps) {
      memcpy(ps->pps, nal, n);
      ps->pps_len = n;
    }
  }
  int idr = (types >> CAM_NAL_IDR) & 1;
  int has_sets = (types >> CAM_NAL_SPS) & (types >> CAM_NAL_PPS) & 1;
  if (!idr || has_sets || ps->sps_len == 0 || ps->pps_len == 0) return 0;
  size_t out = cam_put_nal(prefix, ps->sps, ps->sps_len);
  return out + cam_put_nal(prefix + out, ps->pps, ps->pps_len);
}
