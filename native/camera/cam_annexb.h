/* The little H.264 Annex B knowledge native code needs: walking NAL units to flag keyframes and
 * to put SPS/PPS in front of an IDR from a camera that sends them only once. Everything else
 * about the bitstream (SPS fields, names) lives in TypeScript (@cam/protocol). */
#ifndef CAM_ANNEXB_H
#define CAM_ANNEXB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { CAM_NAL_IDR = 5, CAM_NAL_SPS = 7, CAM_NAL_PPS = 8 };

/* Finds the next NAL unit at or after *pos. On success sets *nal / *nal_len to the unit without
 * its start code, advances *pos past it and returns 1; returns 0 when there is none. */
int cam_annexb_next(const uint8_t *data, size_t len, size_t *pos, const uint8_t **nal,
                    size_t *nal_len);

/* Bit set of NAL unit types (1u << type) present in an access unit. */
uint32_t cam_annexb_types(const uint8_t *data, size_t len);

/* Remembers the latest SPS and PPS seen, to repeat them before IDRs that lack them. */
typedef struct cam_param_sets {
  uint8_t sps[256];
  size_t sps_len;
  uint8_t pps[128];
  size_t pps_len;
} cam_param_sets;

/* Records the SPS/PPS of `au` (with start codes) in `ps`. Returns the number of bytes to put in
 * front of `au` so that an IDR carries its parameter sets: 0 when `au` is no IDR or already has
 * them, else the length of the 4-byte-start-coded SPS+PPS copied to `prefix` (which holds
 * sizeof sps + sizeof pps + 8 bytes). Parameter sets larger than the cache are not repeated. */
size_t cam_param_sets_prefix(cam_param_sets *ps, const uint8_t *au, size_t len, uint8_t *prefix);

#ifdef __cplusplus
}
#endif

#endif
