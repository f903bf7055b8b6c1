/*
 * cam_shm.h — the camstream shared-memory frame ring: layout (docs/SHARED_MEMORY_IPC.md) and a tiny reader API.
 *
 * This is the ONE definition of the layout. The Node addon (packages/shm) and every C consumer
 * include it; docs/SHARED_MEMORY_IPC.md describes the same bytes for readers in other languages.
 * Changing an offset or a meaning is a breaking change: bump CAM_SHM_VERSION.
 *
 * Segment: the POSIX shm object NAME (e.g. "/video_stream"), i.e. the file /dev/shm/video_stream.
 * All integers are little-endian. Every block starts on a 64-byte cache line.
 *
 *   0                     header        (CAM_SHM_HEADER_BYTES, identity + hot words + stream info)
 *   slot_table_offset     slot table    (slot_count × 64-byte cam_shm_slot)
 *   data_offset           slot data     (slot_count × slot_bytes; slot i at data_offset + i*slot_bytes)
 *
 * Frame N (N = 1, 2, ...) lives in slot N % slot_count. Each slot is guarded by a seqlock.
 * Readers map the segment PROT_READ and never write it; they wait with FUTEX_WAIT on `notify`.
 *
 * Needs GCC or Clang (the __atomic builtins) and Linux (futex). Compiles as C11 and C++17.
 */
#ifndef CAM_SHM_H
#define CAM_SHM_H

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifdef __cplusplus
#define CAM_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
extern "C" {
#else
#define CAM_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "cam_shm.h: the layout is little-endian and this reader API reads it natively"
#endif

#define CAM_SHM_MAGIC 0x534D4143u /* bytes "CAMS" */
#define CAM_SHM_VERSION 1u
/* Additions within version 1 that older readers may ignore (header.minor_version):
 *   1  stream info gains pixel_format and stride (raw-pixel rings, e.g. RGB for ML).
 * A writer of minor 0 left those bytes 0, which reads as CAM_SHM_PIXFMT_ENCODED. */
#define CAM_SHM_MINOR_VERSION 1u
#define CAM_SHM_CACHE_LINE 64u
#define CAM_SHM_CODEC_BYTES 32u
#define CAM_SHM_PARAM_SET_BYTES 1024u
#define CAM_SHM_HEADER_BYTES 2304u
#define CAM_SHM_SLOT_ENTRY_BYTES 64u
#define CAM_SHM_FLAG_KEYFRAME 1u      /* cam_shm_slot.flags */
#define CAM_SHM_STATE_CLOSED 1u       /* cam_shm_header.state: the writer exited cleanly */
#define CAM_SHM_DEFAULT_TOTAL_BYTES (16u * 1024u * 1024u)
#define CAM_SHM_DEFAULT_SLOTS 32u
#define CAM_SHM_MIN_SLOTS 2u           /* what a writer accepts: slot_count in MIN..MAX */
#define CAM_SHM_MAX_SLOTS 65536u
#define CAM_SHM_NAME_MAX 200u
/* What cam_shm_path accepts, as every error message says it. */
#define CAM_SHM_NAME_RULE "invalid name: want '/' then 1-200 of [A-Za-z0-9._-], not starting with '.'"

/* cam_shm_header.pixel_format: what each slot holds. */
#define CAM_SHM_PIXFMT_ENCODED 0u    /* access units of `codec` (H.264 Annex B, with start codes) */
#define CAM_SHM_PIXFMT_RGB24 1u      /* packed 8-bit R,G,B: height rows of stride bytes (>= 3*width) */
#define CAM_SHM_PIXFMT_NV12 2u       /* height rows of Y, then height/2 rows of interleaved U,V;
                                        every row stride bytes (>= width) */
#define CAM_SHM_PIXFMT_RGB_PLANAR 3u /* 8-bit R plane, G plane, B plane: each height rows of
                                        stride bytes (>= width) */

typedef struct cam_shm_header {
  /* line 0: identity, written before the segment becomes visible under its name, then constant */
  uint32_t magic;             /*   0  CAM_SHM_MAGIC */
  uint32_t version;           /*   4  CAM_SHM_VERSION */
  uint32_t slot_count;        /*   8  number of slots */
  uint32_t slot_bytes;        /*  12  data capacity of one slot (multiple of 64) = largest frame */
  uint64_t total_bytes;       /*  16  size of the whole segment; equals the file size */
  uint64_t slot_table_offset; /*  24  = CAM_SHM_HEADER_BYTES */
  uint64_t data_offset;       /*  32  start of slot 0's data (page aligned) */
  uint64_t epoch;             /*  40  writer generation: its start time in µs since the Unix
                                      epoch, always > the epoch of the segment it replaced */
  uint32_t writer_pid;        /*  48  pid of the writer (diagnostics only) */
  uint32_t minor_version;     /*  52  CAM_SHM_MINOR_VERSION of the writer (0: before minors) */
  uint32_t reserved0[2];      /*  56 */
  /* line 1: hot words, written on every publish */
  uint32_t notify;            /*  64  futex word: +1 after every publish and on close */
  uint32_t state;             /*  68  CAM_SHM_STATE_* bits */
  uint64_t write_seq;         /*  72  sequence of the last complete frame (0 = none yet) */
  uint64_t heartbeat_ns;      /*  80  CLOCK_MONOTONIC ns of the writer's last sign of life */
  uint32_t reserved1[10];     /*  88 */
  /* line 2: stream info and parameter sets, guarded by the info_lock seqlock */
  uint32_t info_lock;         /* 128  seqlock: odd while the writer updates 132..2303 */
  uint32_t width;             /* 132  pixels, 0 = unknown */
  uint32_t height;            /* 136 */
  uint32_t fps_milli;         /* 140  frames per second × 1000 */
  char codec[CAM_SHM_CODEC_BYTES]; /* 144  NUL-terminated RFC 6381 string, e.g. "avc1.640028" */
  uint32_t sps_len;           /* 176  bytes used in sps (0 = none yet) */
  uint32_t pps_len;           /* 180 */
  uint64_t ps_frame_seq;      /* 184  the keyframe the SPS/PPS came from */
  uint8_t sps[CAM_SHM_PARAM_SET_BYTES]; /*  192  latest SPS NAL unit, without start code */
  uint8_t pps[CAM_SHM_PARAM_SET_BYTES]; /* 1216  latest PPS NAL unit, without start code */
  uint32_t pixel_format;      /* 2240  CAM_SHM_PIXFMT_* (minor >= 1; 0 = encoded, see codec) */
  uint32_t stride;            /* 2244  bytes per pixel row of a raw format (0 when encoded) */
  uint8_t reserved2[56];      /* 2248 */
} cam_shm_header;             /* 2304 */

typedef struct cam_shm_slot {
  uint32_t lock;          /*  0  seqlock: odd while the writer fills this slot */
  uint32_t flags;         /*  4  CAM_SHM_FLAG_KEYFRAME */
  uint64_t frame_seq;     /*  8  which frame the slot holds */
  uint64_t timestamp_ms;  /* 16  capture time, ms since the Unix epoch */
  uint32_t length;        /* 24  bytes of the access unit (Annex B, with start codes) */
  uint32_t reserved0;     /* 28 */
  uint64_t publish_ns;    /* 32  CLOCK_MONOTONIC ns when the writer published it */
  uint64_t reserved1[3];  /* 40 */
} cam_shm_slot;           /* 64 */

CAM_STATIC_ASSERT(offsetof(cam_shm_header, magic) == 0, "magic");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, version) == 4, "version");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, slot_count) == 8, "slot_count");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, slot_bytes) == 12, "slot_bytes");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, total_bytes) == 16, "total_bytes");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, slot_table_offset) == 24, "slot_table_offset");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, data_offset) == 32, "data_offset");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, epoch) == 40, "epoch");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, writer_pid) == 48, "writer_pid");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, minor_version) == 52, "minor_version");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, notify) == 64, "notify");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, state) == 68, "state");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, write_seq) == 72, "write_seq");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, heartbeat_ns) == 80, "heartbeat_ns");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, info_lock) == 128, "info_lock");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, width) == 132, "width");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, height) == 136, "height");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, fps_milli) == 140, "fps_milli");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, codec) == 144, "codec");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, sps_len) == 176, "sps_len");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, pps_len) == 180, "pps_len");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, ps_frame_seq) == 184, "ps_frame_seq");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, sps) == 192, "sps");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, pps) == 1216, "pps");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, pixel_format) == 2240, "pixel_format");
CAM_STATIC_ASSERT(offsetof(cam_shm_header, stride) == 2244, "stride");
CAM_STATIC_ASSERT(sizeof(cam_shm_header) == CAM_SHM_HEADER_BYTES, "header size");
CAM_STATIC_ASSERT(CAM_SHM_HEADER_BYTES % CAM_SHM_CACHE_LINE == 0, "header is whole cache lines");
CAM_STATIC_ASSERT(offsetof(cam_shm_slot, lock) == 0, "slot lock");
CAM_STATIC_ASSERT(offsetof(cam_shm_slot, flags) == 4, "slot flags");
CAM_STATIC_ASSERT(offsetof(cam_shm_slot, frame_seq) == 8, "slot frame_seq");
CAM_STATIC_ASSERT(offsetof(cam_shm_slot, timestamp_ms) == 16, "slot timestamp_ms");
CAM_STATIC_ASSERT(offsetof(cam_shm_slot, length) == 24, "slot length");
CAM_STATIC_ASSERT(offsetof(cam_shm_slot, publish_ns) == 32, "slot publish_ns");
CAM_STATIC_ASSERT(sizeof(cam_shm_slot) == CAM_SHM_SLOT_ENTRY_BYTES, "slot entry size");

#define CAM_SHM_PAGE 4096u

/* Where slot data starts for `slot_count` slots: after the header and slot table, on a page. */
static inline uint64_t cam_shm_data_offset(uint32_t slot_count) {
  uint64_t end = CAM_SHM_HEADER_BYTES + (uint64_t)slot_count * CAM_SHM_SLOT_ENTRY_BYTES;
  return (end + CAM_SHM_PAGE - 1) / CAM_SHM_PAGE * CAM_SHM_PAGE;
}

/* The segment size whose slots each hold at least `frame_bytes` (what a writer needs to be
 * created with for frames of that size, e.g. raw pictures). */
static inline uint64_t cam_shm_total_bytes_for(uint32_t slot_count, uint64_t frame_bytes) {
  uint64_t slot = (frame_bytes + CAM_SHM_CACHE_LINE - 1) / CAM_SHM_CACHE_LINE * CAM_SHM_CACHE_LINE;
  uint64_t total = cam_shm_data_offset(slot_count) + (uint64_t)slot_count * slot;
  return (total + CAM_SHM_PAGE - 1) / CAM_SHM_PAGE * CAM_SHM_PAGE;
}

/* Status codes: 0 or a negative cam_shm_status. Messages name the segment (see *_open). */
typedef enum cam_shm_status {
  CAM_SHM_OK = 0,
  CAM_SHM_AGAIN = -1,          /* no new frame yet / wait timed out */
  CAM_SHM_NOT_FOUND = -2,      /* no segment under that name */
  CAM_SHM_PERMISSION = -3,     /* EACCES / EPERM */
  CAM_SHM_BAD_MAGIC = -4,      /* not a camstream segment (or not initialised) */
  CAM_SHM_BAD_VERSION = -5,    /* a different CAM_SHM_VERSION */
  CAM_SHM_TRUNCATED = -6,      /* file smaller than the header says, or shrank after open */
  CAM_SHM_BUSY = -7,           /* another live writer holds the segment */
  CAM_SHM_TOO_LARGE = -8,      /* frame larger than slot_bytes / parameter set too large */
  CAM_SHM_INVALID = -9,        /* bad argument (name, sizes) */
  CAM_SHM_SYSTEM = -10         /* any other errno */
} cam_shm_status;

static inline const char *cam_shm_status_code(int status) {
  switch (status) {
    case CAM_SHM_OK: return "OK";
    case CAM_SHM_AGAIN: return "AGAIN";
    case CAM_SHM_NOT_FOUND: return "NOT_FOUND";
    case CAM_SHM_PERMISSION: return "PERMISSION_DENIED";
    case CAM_SHM_BAD_MAGIC: return "BAD_MAGIC";
    case CAM_SHM_BAD_VERSION: return "BAD_VERSION";
    case CAM_SHM_TRUNCATED: return "TRUNCATED";
    case CAM_SHM_BUSY: return "BUSY";
    case CAM_SHM_TOO_LARGE: return "FRAME_TOO_LARGE";
    case CAM_SHM_INVALID: return "INVALID_ARGUMENT";
    default: return "SYSTEM";
  }
}

/* "/video_stream" -> "/dev/shm/video_stream". Names are one path component: '/' then 1..200 of
 * [A-Za-z0-9._-], not starting with '.'. Returns CAM_SHM_OK or CAM_SHM_INVALID. */
static inline int cam_shm_path(const char *name, char *path, size_t path_len) {
  size_t n = strlen(name);
  if (n < 2 || n > CAM_SHM_NAME_MAX || name[0] != '/' || name[1] == '.') return CAM_SHM_INVALID;
  for (size_t i = 1; i < n; i++) {
    char c = name[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '.' || c == '_' || c == '-';
    if (!ok) return CAM_SHM_INVALID;
  }
  return snprintf(path, path_len, "/dev/shm%s", name) < (int)path_len ? CAM_SHM_OK : CAM_SHM_INVALID;
}

static inline int cam_shm_errno_status(int err) {
  if (err == ENOENT) return CAM_SHM_NOT_FOUND;
  if (err == EACCES || err == EPERM) return CAM_SHM_PERMISSION;
  return CAM_SHM_SYSTEM;
}

/* Writes "shm <what> <name>: <reason> (<ERRNO>)" style messages into err (may be NULL). */
static inline int cam_shm_fail(char *err, size_t err_len, int status, const char *what,
                               const char *name, const char *reason) {
  if (err && err_len) snprintf(err, err_len, "shm %s %s: %s", what, name, reason);
  return status;
}

static inline int cam_shm_fail_errno(char *err, size_t err_len, const char *what, const char *name,
                                     int e) {
  char reason[160];
  if (e == ENOENT) snprintf(reason, sizeof reason, "no such segment (ENOENT)");
  else if (e == EACCES || e == EPERM)
    snprintf(reason, sizeof reason, "permission denied (%s)", e == EACCES ? "EACCES" : "EPERM");
  else snprintf(reason, sizeof reason, "%s (errno %d)", strerror(e), e);
  return cam_shm_fail(err, err_len, cam_shm_errno_status(e), what, name, reason);
}

static inline uint64_t cam_shm_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The geometry of a segment, copied out of its header once. Readers use only this copy after
 * open: a header changed later (by a broken or hostile writer) cannot move them out of bounds. */
typedef struct cam_shm_geometry {
  uint32_t slot_count;
  uint32_t slot_bytes;
  uint64_t total_bytes;
  uint64_t data_offset;
  uint64_t epoch;      /* identity, copied with the geometry */
  uint32_t writer_pid; /* diagnostics only */
} cam_shm_geometry;


/* Checks a header copy (h: private memory, e.g. read with pread) against the file size and
 * fills g. Overflow-safe: every sum and product is checked before it is formed. */
static inline int cam_shm_check_header(const cam_shm_header *h, uint64_t file_size,
                                       cam_shm_geometry *g, const char *name, char *err,
                                       size_t err_len) {
  char reason[200];
  if (h->magic != CAM_SHM_MAGIC) {
    snprintf(reason, sizeof reason, "bad magic 0x%08x, want 0x%08x (not a camstream segment)",
             h->magic, CAM_SHM_MAGIC);
    return cam_shm_fail(err, err_len, CAM_SHM_BAD_MAGIC, "open", name, reason);
  }
  if (h->version != CAM_SHM_VERSION) {
    snprintf(reason, sizeof reason, "layout version %u, this reader speaks %u", h->version,
             CAM_SHM_VERSION);
    return cam_shm_fail(err, err_len, CAM_SHM_BAD_VERSION, "open", name, reason);
  }
  uint64_t table_end = CAM_SHM_HEADER_BYTES + (uint64_t)h->slot_count * CAM_SHM_SLOT_ENTRY_BYTES;
  uint64_t data_bytes = (uint64_t)h->slot_count * h->slot_bytes; /* < 2^64: both are 32-bit */
  if (h->slot_count == 0 || h->slot_count > CAM_SHM_MAX_SLOTS || h->slot_bytes == 0 ||
      h->slot_table_offset != CAM_SHM_HEADER_BYTES || h->data_offset < table_end ||
      h->total_bytes > file_size || h->total_bytes > (uint64_t)SIZE_MAX ||
      h->data_offset > h->total_bytes || data_bytes > h->total_bytes - h->data_offset) {
    snprintf(reason, sizeof reason,
             "truncated or inconsistent: file has %llu bytes, header says %llu (data at %llu, "
             "slots %u x %u)",
             (unsigned long long)file_size, (unsigned long long)h->total_bytes,
             (unsigned long long)h->data_offset, h->slot_count, h->slot_bytes);
    return cam_shm_fail(err, err_len, CAM_SHM_TRUNCATED, "open", name, reason);
  }
  g->slot_count = h->slot_count;
  g->slot_bytes = h->slot_bytes;
  g->total_bytes = h->total_bytes;
  g->data_offset = h->data_offset;
  g->epoch = h->epoch;
  g->writer_pid = h->writer_pid;
  return CAM_SHM_OK;
}

/* Opens PATH without blocking and only if it is a regular file: a FIFO or device planted at the
 * name (/dev/shm is world-writable) is refused, never waited on. Returns the fd or a negative
 * status with err filled; *st is the file's stat. */
static inline int cam_shm_open_regular(const char *path, int flags, struct stat *st,
                                       const char *what, const char *name, char *err,
                                       size_t err_len) {
  int fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return cam_shm_fail_errno(err, err_len, what, name, errno);
  if (fstat(fd, st) != 0) {
    int e = errno;
    close(fd);
    return cam_shm_fail_errno(err, err_len, what, name, e);
  }
  if (!S_ISREG(st->st_mode)) {
    close(fd);
    return cam_shm_fail(err, err_len, CAM_SHM_INVALID, what, name,
                        "not a regular file (something else was planted at this name): "
                        "remove it and start the writer again");
  }
  return fd;
}

/* ---------------------------------------------------------------- reader ------------------ */

typedef struct cam_shm_reader {
  const uint8_t *base;       /* PROT_READ mapping of the whole segment (geometry.total_bytes) */
  size_t size;
  const cam_shm_header *hdr;
  const cam_shm_slot *slots;
  cam_shm_geometry geometry; /* copied once at open: the only sizes and offsets used after */
  int fd;                    /* kept open to check the file size (a shrunk file would SIGBUS) */
  int truncated;             /* set once the file was seen smaller than the mapping */
  uint64_t next_seq;         /* the frame this reader wants next */
  uint64_t pending_lost;     /* frames skipped since the last frame returned */
  uint64_t inode;            /* identifies this segment: a restarted writer makes a new file */
  uint64_t epoch;
  char name[CAM_SHM_NAME_MAX + 1];
} cam_shm_reader;

typedef struct cam_shm_frame {
  const uint8_t *data;   /* points into the mapping: check cam_shm_frame_valid() after using it */
  uint64_t seq;
  uint64_t timestamp_ms;
  uint64_t publish_ns;
  uint64_t lost;         /* frames this reader missed right before this one */
  uint32_t length;
  uint32_t flags;
  uint32_t slot;
  uint32_t lock;         /* the seqlock value the frame was read under */
} cam_shm_frame;

/* True while the file still covers the whole mapping. Every reader call checks it before it
 * touches the mapping: pages past the end of a shrunk file raise SIGBUS instead of reading. Once
 * false it stays false (the segment is broken; reopen when a writer recreated it). */
static inline int cam_shm_reader_intact(cam_shm_reader *r) {
  struct stat st;
  /* SYNC: relaxed: a sticky flag with no data behind it; a thread that waits (the Node addon's
   * waiter) and the thread that reads may both set it, and each re-checks the file anyway. */
  if (__atomic_load_n(&r->truncated, __ATOMIC_RELAXED)) return 0;
  if (fstat(r->fd, &st) == 0 && (uint64_t)st.st_size >= r->size) return 1;
  __atomic_store_n(&r->truncated, 1, __ATOMIC_RELAXED);
  return 0;
}

/* Opens NAME read-only and checks magic, version and size. The reader starts at the next frame
 * published (see cam_shm_reader_seek). On error fills err with a message naming the segment. */
static inline int cam_shm_reader_open(cam_shm_reader *r, const char *name, char *err,
                                      size_t err_len) {
  char path[CAM_SHM_NAME_MAX + 16];
  struct stat st;
  cam_shm_header copy;
  memset(r, 0, sizeof *r);
  r->fd = -1;
  if (cam_shm_path(name, path, sizeof path) != CAM_SHM_OK)
    return cam_shm_fail(err, err_len, CAM_SHM_INVALID, "open", name, CAM_SHM_NAME_RULE);
  int fd = cam_shm_open_regular(path, O_RDONLY, &st, "open", name, err, err_len);
  if (fd < 0) return fd;
  /* The header is read into private memory once and checked there: nothing the writer changes
   * later can turn a checked value into an unchecked one. */
  ssize_t got = pread(fd, &copy, sizeof copy, 0);
  if (got != (ssize_t)sizeof copy) {
    char reason[96];
    close(fd);
    snprintf(reason, sizeof reason, "truncated: %llu bytes, the header alone is %u",
             (unsigned long long)st.st_size, CAM_SHM_HEADER_BYTES);
    return cam_shm_fail(err, err_len, CAM_SHM_TRUNCATED, "open", name, reason);
  }
  int rc = cam_shm_check_header(&copy, (uint64_t)st.st_size, &r->geometry, name, err, err_len);
  if (rc != CAM_SHM_OK) {
    close(fd);
    return rc;
  }
  size_t size = (size_t)r->geometry.total_bytes;
  void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    int e = errno;
    close(fd);
    return cam_shm_fail_errno(err, err_len, "mmap", name, e);
  }
  r->fd = fd;
  r->base = (const uint8_t *)p;
  r->size = size;
  r->hdr = (const cam_shm_header *)p;
  r->slots = (const cam_shm_slot *)(r->base + CAM_SHM_HEADER_BYTES);
  r->inode = (uint64_t)st.st_ino;
  r->epoch = r->geometry.epoch;
  snprintf(r->name, sizeof r->name, "%s", name);
  if (!cam_shm_reader_intact(r)) { /* shrank between fstat and mmap */
    munmap(p, size);
    close(fd);
    memset(r, 0, sizeof *r);
    r->fd = -1;
    return cam_shm_fail(err, err_len, CAM_SHM_TRUNCATED, "open", name, "the file shrank while opening");
  }
  /* SYNC: acquire pairs with the writer's release store of write_seq in publish. */
  r->next_seq = __atomic_load_n(&r->hdr->write_seq, __ATOMIC_ACQUIRE) + 1;
  return CAM_SHM_OK;
}

static inline void cam_shm_reader_close(cam_shm_reader *r) {
  if (r->base) munmap((void *)r->base, r->size);
  if (r->base && r->fd >= 0) close(r->fd);
  r->base = NULL;
  r->fd = -1;
}

/* Reads the slot of frame `seq` under its seqlock (metadata only). Returns CAM_SHM_OK if the slot
 * holds exactly that frame, CAM_SHM_AGAIN otherwise (being overwritten, already replaced, or a
 * length past the slot size). The caller checked cam_shm_reader_intact. */
static inline int cam_shm_peek(const cam_shm_reader *r, uint64_t seq, cam_shm_frame *f) {
  uint32_t slot = (uint32_t)(seq % r->geometry.slot_count);
  const cam_shm_slot *s = &r->slots[slot];
  /* SYNC: acquire pairs with the writer's release store that ends the slot update (lock even):
   * if we see that value, we see everything the writer stored before it. */
  uint32_t lock = __atomic_load_n(&s->lock, __ATOMIC_ACQUIRE);
  if (lock & 1u) return CAM_SHM_AGAIN;
  /* SYNC: relaxed: single-copy atomic loads only; whether they belong to one frame is decided by
   * the lock re-check below. */
  f->seq = __atomic_load_n(&s->frame_seq, __ATOMIC_RELAXED);
  f->timestamp_ms = __atomic_load_n(&s->timestamp_ms, __ATOMIC_RELAXED);
  f->publish_ns = __atomic_load_n(&s->publish_ns, __ATOMIC_RELAXED);
  f->length = __atomic_load_n(&s->length, __ATOMIC_RELAXED);
  f->flags = __atomic_load_n(&s->flags, __ATOMIC_RELAXED);
  /* SYNC: acquire fence orders the loads above before the re-check of lock; pairs with the
   * writer's release fence after it made lock odd (so a changed field implies a changed lock). */
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  if (__atomic_load_n(&s->lock, __ATOMIC_RELAXED) != lock || f->seq != seq ||
      f->length > r->geometry.slot_bytes)
    return CAM_SHM_AGAIN;
  f->slot = slot;
  f->lock = lock;
  f->data = r->base + r->geometry.data_offset + (uint64_t)slot * r->geometry.slot_bytes;
  return CAM_SHM_OK;
}

/* True if the frame's slot was not touched since the frame was read: everything read from
 * f->data before this call is the frame the writer published. Call it AFTER using the data.
 * False also when the file shrank (what was read may not be the frame). */
static inline int cam_shm_frame_valid(cam_shm_reader *r, const cam_shm_frame *f) {
  if (f->slot >= r->geometry.slot_count || !cam_shm_reader_intact(r)) return 0;
  /* SYNC: acquire fence orders the caller's data loads before the lock re-check; pairs with the
   * writer's release fence after it made the lock odd, exactly as in cam_shm_peek. */
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  return __atomic_load_n(&r->slots[f->slot].lock, __ATOMIC_RELAXED) == f->lock;
}

/* The writer's last complete frame, or 0 when the file shrank. */
static inline uint64_t cam_shm_write_seq(cam_shm_reader *r) {
  if (!cam_shm_reader_intact(r)) return 0;
  /* SYNC: acquire pairs with the writer's release store of write_seq after the slot update. */
  return __atomic_load_n(&r->hdr->write_seq, __ATOMIC_ACQUIRE);
}

/* The next frame without blocking: CAM_SHM_OK (f filled, f->lost = frames missed before it),
 * CAM_SHM_AGAIN (nothing new) or CAM_SHM_TRUNCATED (the file shrank: the segment is broken).
 * A reader that fell more than a ring behind jumps forward and counts every frame it skipped.
 * A frame that fails the checks (overwritten under us, or a length past the slot size) is
 * counted lost; after slot_count + 1 such frames in one call it returns CAM_SHM_AGAIN and the
 * lost count carries to the next frame returned. */
static inline int cam_shm_reader_try_next(cam_shm_reader *r, cam_shm_frame *f) {
  uint32_t n = r->geometry.slot_count;
  for (uint32_t attempt = 0; attempt <= n; attempt++) {
    if (!cam_shm_reader_intact(r)) return CAM_SHM_TRUNCATED;
    /* SYNC: acquire pairs with the writer's release store of write_seq after the slot update
     * (as in cam_shm_write_seq, whose own size check the line above already made). */
    uint64_t ws = __atomic_load_n(&r->hdr->write_seq, __ATOMIC_ACQUIRE);
    if (r->next_seq > ws) return CAM_SHM_AGAIN;
    /* The oldest frame that may still be intact: the writer may already be filling ws+1's slot. */
    uint64_t oldest = ws >= n ? ws - n + 2 : 1;
    if (r->next_seq < oldest) {
      r->pending_lost += oldest - r->next_seq;
      r->next_seq = oldest;
    }
    if (cam_shm_peek(r, r->next_seq, f) == CAM_SHM_OK) {
      f->lost = r->pending_lost;
      r->pending_lost = 0;
      r->next_seq++;
      return CAM_SHM_OK;
    }
    r->pending_lost++; /* overwritten under us (or unreadable): that frame is gone */
    r->next_seq++;
  }
  return CAM_SHM_AGAIN; /* lapped on every attempt; the lost count carries to the next frame */
}

typedef enum cam_shm_start { CAM_SHM_START_NEXT, CAM_SHM_START_OLDEST, CAM_SHM_START_KEYFRAME } cam_shm_start;

/* Positions the reader: the next frame published, the oldest frame in the ring, or the newest
 * keyframe in the ring (falls back to the next frame when the ring holds no keyframe). */
static inline void cam_shm_reader_seek(cam_shm_reader *r, cam_shm_start start) {
  uint64_t ws = cam_shm_write_seq(r);
  uint32_t n = r->geometry.slot_count;
  uint64_t oldest = ws >= n ? ws - n + 2 : 1;
  r->pending_lost = 0;
  r->next_seq = ws + 1;
  if (start == CAM_SHM_START_OLDEST) r->next_seq = oldest;
  if (start != CAM_SHM_START_KEYFRAME) return;
  for (uint64_t seq = ws; seq >= oldest && seq > 0 && cam_shm_reader_intact(r); seq--) {
    cam_shm_frame f;
    if (cam_shm_peek(r, seq, &f) == CAM_SHM_OK && (f.flags & CAM_SHM_FLAG_KEYFRAME)) {
      r->next_seq = seq;
      return;
    }
  }
}

/* Blocks until the writer's notify word differs from `seen` or timeout_ms passes (a spurious
 * early return is allowed: always re-check). Typical loop:
 *     uint32_t seen = cam_shm_notify(r);
 *     if (cam_shm_reader_try_next(r, &f) == CAM_SHM_AGAIN) cam_shm_wait(r, seen, 100);          */
static inline uint32_t cam_shm_notify(cam_shm_reader *r) {
  if (!cam_shm_reader_intact(r)) return 0;
  /* SYNC: acquire pairs with the writer's release increment of notify after write_seq. */
  return __atomic_load_n(&r->hdr->notify, __ATOMIC_ACQUIRE);
}

static inline int cam_shm_wait(cam_shm_reader *r, uint32_t seen, int timeout_ms) {
  if (!cam_shm_reader_intact(r)) return CAM_SHM_TRUNCATED;
  struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
  /* Shared futex (no FUTEX_PRIVATE_FLAG): the writer is another process. Waiting only reads. */
  long rc = syscall(SYS_futex, &r->hdr->notify, FUTEX_WAIT, seen, &ts, NULL, 0);
  return rc == 0 || errno == EAGAIN || errno == EINTR ? CAM_SHM_OK : CAM_SHM_AGAIN;
}

/* Writer liveness as the reader sees it. A shrunk file counts as closed. */
static inline int cam_shm_writer_closed(cam_shm_reader *r) {
  if (!cam_shm_reader_intact(r)) return 1;
  /* SYNC: acquire pairs with the writer's release fetch_or of state in cam_shm_writer_close. */
  return (__atomic_load_n(&r->hdr->state, __ATOMIC_ACQUIRE) & CAM_SHM_STATE_CLOSED) != 0;
}

static inline uint64_t cam_shm_heartbeat_age_ms(cam_shm_reader *r) {
  if (!cam_shm_reader_intact(r)) return UINT64_MAX / 1000000u;
  /* SYNC: relaxed: a standalone liveness hint, pairs with the writer's relaxed stores. */
  uint64_t hb = __atomic_load_n(&r->hdr->heartbeat_ns, __ATOMIC_RELAXED);
  uint64_t now = cam_shm_now_ns();
  return now > hb ? (now - hb) / 1000000u : 0;
}

/* True when NAME now refers to a different segment than the one mapped (a writer restarted). */
static inline int cam_shm_reader_replaced(const cam_shm_reader *r) {
  char path[CAM_SHM_NAME_MAX + 16];
  struct stat st;
  if (cam_shm_path(r->name, path, sizeof path) != CAM_SHM_OK || stat(path, &st) != 0) return 0;
  return (uint64_t)st.st_ino != r->inode;
}

typedef struct cam_shm_stream_info {
  char codec[CAM_SHM_CODEC_BYTES];
  uint32_t width, height, fps_milli, sps_len, pps_len;
  uint32_t pixel_format, stride; /* CAM_SHM_PIXFMT_*; see cam_shm_raw_frame_bytes */
  uint64_t ps_frame_seq;
  uint8_t sps[CAM_SHM_PARAM_SET_BYTES];
  uint8_t pps[CAM_SHM_PARAM_SET_BYTES];
} cam_shm_stream_info;

/* Copies stream info + SPS/PPS under the info seqlock. CAM_SHM_AGAIN if the writer kept
 * updating it (retry later) or its lengths are out of range, CAM_SHM_TRUNCATED if the file
 * shrank. */
static inline int cam_shm_read_stream_info(cam_shm_reader *r, cam_shm_stream_info *out) {
  const cam_shm_header *h = r->hdr;
  for (int attempt = 0; attempt < 100; attempt++) {
    if (!cam_shm_reader_intact(r)) return CAM_SHM_TRUNCATED;
    /* SYNC: same protocol as cam_shm_peek, on info_lock (pairs with the writer's info update). */
    uint32_t lock = __atomic_load_n(&h->info_lock, __ATOMIC_ACQUIRE);
    if (lock & 1u) continue;
    memcpy(out->codec, h->codec, CAM_SHM_CODEC_BYTES);
    out->width = h->width;
    out->height = h->height;
    out->fps_milli = h->fps_milli;
    out->sps_len = h->sps_len;
    out->pps_len = h->pps_len;
    out->ps_frame_seq = h->ps_frame_seq;
    out->pixel_format = h->pixel_format;
    out->stride = h->stride;
    memcpy(out->sps, h->sps, CAM_SHM_PARAM_SET_BYTES);
    memcpy(out->pps, h->pps, CAM_SHM_PARAM_SET_BYTES);
    /* SYNC: acquire fence before the re-check, as in cam_shm_frame_valid. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (__atomic_load_n(&h->info_lock, __ATOMIC_RELAXED) == lock &&
        out->sps_len <= CAM_SHM_PARAM_SET_BYTES && out->pps_len <= CAM_SHM_PARAM_SET_BYTES) {
      out->codec[CAM_SHM_CODEC_BYTES - 1] = '\0';
      return CAM_SHM_OK;
    }
  }
  return CAM_SHM_AGAIN;
}

/* Bytes one raw picture of `info` takes (0 for encoded rings, an unknown format, or a picture
 * whose one plane alone is past what a frame's 32-bit length can hold): a reader checks a frame's length against it before
 * indexing pixels by row and stride. rows × stride of two 32-bit values fits in 64 bits; it is
 * bounded before the × 3 so a hostile header cannot wrap the result to a size a frame claims. */
static inline uint64_t cam_shm_raw_frame_bytes(const cam_shm_stream_info *info) {
  uint64_t rows = info->height, stride = info->stride, plane = rows * stride;
  if (plane > UINT32_MAX) return 0;
  switch (info->pixel_format) {
    case CAM_SHM_PIXFMT_RGB24:
      return stride >= 3ull * info->width ? plane : 0;
    case CAM_SHM_PIXFMT_NV12:
      return stride >= info->width && rows % 2 == 0 ? plane * 3 / 2 : 0;
    case CAM_SHM_PIXFMT_RGB_PLANAR:
      return stride >= info->width ? 3 * plane : 0;
    default:
      return 0;
  }
}

/* ---------------------------------------------------------------- writer ------------------ */
/* Implemented in native/shm/cam_shm_writer.c (the Node addon and the benchmarks link it). */

typedef struct cam_shm_writer {
  int fd;                /* held open with an exclusive flock: one live writer per segment */
  uint8_t *base;
  size_t size;
  cam_shm_header *hdr;
  cam_shm_slot *slots;
  cam_shm_geometry geometry; /* what it created; the header copy in the segment is not trusted */
  uint64_t seq;          /* last published frame */
  uint64_t inode;
  char name[CAM_SHM_NAME_MAX + 1];
  char alias[CAM_SHM_NAME_MAX + 1]; /* second name of the segment (cam_shm_writer_link), or "" */
} cam_shm_writer;

/* Creates NAME (mode e.g. 0600; gid -1 keeps the creator's group) sized total_bytes with
 * slot_count slots, then atomically replaces any previous segment of a dead writer (new epoch).
 * CAM_SHM_BUSY if a live writer holds NAME. */
int cam_shm_writer_create(cam_shm_writer *w, const char *name, uint64_t total_bytes,
                          uint32_t slot_count, uint32_t mode, int64_t gid, char *err,
                          size_t err_len);
/* Copies one access unit into the next slot and wakes waiting readers. Never blocks.
 * CAM_SHM_TOO_LARGE if length > slot_bytes, CAM_SHM_TRUNCATED if someone shrank the file
 * (nothing is written either way). */
int cam_shm_writer_publish(cam_shm_writer *w, const uint8_t *data, uint32_t length,
                           uint64_t timestamp_ms, int keyframe, uint64_t *seq_out);
void cam_shm_writer_set_stream_info(cam_shm_writer *w, const char *codec, uint32_t width,
                                    uint32_t height, uint32_t fps_milli);
/* Says the ring holds raw pictures (CAM_SHM_PIXFMT_*) with rows of `stride` bytes; call it
 * with set_stream_info before the first publish. */
void cam_shm_writer_set_pixel_format(cam_shm_writer *w, uint32_t pixel_format, uint32_t stride);
/* Gives the segment a second name ALIAS (a hard link in /dev/shm: the same memory, frames
 * written once), atomically replacing what ALIAS named unless a live writer holds it
 * (CAM_SHM_BUSY). close() removes ALIAS too if it still names this segment. */
int cam_shm_writer_link(cam_shm_writer *w, const char *alias, char *err, size_t err_len);
/* Stores the SPS/PPS of keyframe `frame_seq`. CAM_SHM_TOO_LARGE if either exceeds 1024 bytes. */
int cam_shm_writer_set_parameter_sets(cam_shm_writer *w, const uint8_t *sps, uint32_t sps_len,
                                      const uint8_t *pps, uint32_t pps_len, uint64_t frame_seq);
void cam_shm_writer_heartbeat(cam_shm_writer *w);
/* Marks the segment closed, wakes readers, unlinks NAME (if it is still this segment), unmaps. */
void cam_shm_writer_close(cam_shm_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* CAM_SHM_H */
