/*
 * libFuzzer harness for the reader side of native/include/cam_shm.h: open, try_next, frame_valid,
 * seek, read_stream_info, raw_frame_bytes and the liveness calls, over arbitrary segment bytes
 * that also change between the calls (a broken or hostile writer of the same user can write or
 * truncate the file at any time). Run by native/shm/fuzz/fuzz.sh (`check fuzz-shm` in
 * tools/test.sh) for a bounded time from the committed corpus/.
 *
 * The input is a script run against one real file in /dev/shm:
 *   u32 LE   initial file size (mod 256 KiB); the file starts as that many zero bytes
 *   then operations, each one byte (op % 8) and its arguments:
 *     0 WRITE     u32 offset (mod 256 KiB), u16 length (mod 4097), bytes: pwrite into the file
 *     1 TRUNCATE  u32 size (mod 256 KiB + 1): ftruncate (shrink or grow) the file
 *     2 OPEN      (re)open the reader
 *     3 NEXT      try_next; if a frame came, read all its bytes, then frame_valid
 *     4 SEEK      u8 start (mod 3)
 *     5 INFO      read_stream_info and raw_frame_bytes
 *     6 STATUS    write_seq, notify, writer_closed, heartbeat_age, replaced, wait(timeout 0)
 *     7 DRAIN     NEXT until no frame (at most 64)
 *   (at most FUZZ_MAX_OPS operations; the rest of the input is ignored)
 * Besides ASan/UBSan findings, the harness aborts when a call hands out something out of the
 * bounds it promises (a frame outside its slot, lengths past their fields, a raw-picture size
 * whose rows would be read past the frame).
 *
 * Seeds: `cc -DCAM_FUZZ_WRITE_SEEDS ... cam_shm_fuzz.c ../cam_shm_writer.c` builds a program
 * that writes corpus/ from segments made by the real writer (fuzz.sh --seeds does it).
 */
#include <stdlib.h>

#include "../../include/cam_shm.h"

#define FUZZ_MAX_FILE (1u << 18) /* room for ~4000 slots: the costliest input stays short */
#define FUZZ_MAX_WRITE 4096u
/* Operations per input: each reader call is bounded (a try_next makes at most slot_count + 1
 * attempts) but not free, and an input of thousands of them would only be slow, not wrong. */
#define FUZZ_MAX_OPS 128

enum { OP_WRITE, OP_TRUNCATE, OP_OPEN, OP_NEXT, OP_SEEK, OP_INFO, OP_STATUS, OP_DRAIN };

/* A bound a call promised and broke: says which, then aborts (libFuzzer keeps the input). */
#define require(ok)                                                                      \
  do {                                                                                   \
    if (!(ok)) {                                                                         \
      fprintf(stderr, "fuzz-shm: broken bound at cam_shm_fuzz.c:%d: %s\n", __LINE__, #ok); \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

/* The byte after the last one a reader touches when it walks a raw picture of `s` row by row
 * (128-bit: no wrap can hide an out-of-bounds row). 0 for an empty picture. */
static unsigned __int128 raw_extent(const cam_shm_stream_info *s) {
  unsigned __int128 w = s->width, h = s->height, stride = s->stride;
  if (w == 0 || h == 0) return 0;
  switch (s->pixel_format) {
    case CAM_SHM_PIXFMT_RGB24: return (h - 1) * stride + 3 * w;
    case CAM_SHM_PIXFMT_NV12: return (h + h / 2 - 1) * stride + w;
    case CAM_SHM_PIXFMT_RGB_PLANAR: return (3 * h - 1) * stride + w;
    default: return 0;
  }
}

static void check_frame(cam_shm_reader *r, const cam_shm_frame *f) {
  const cam_shm_geometry *g = &r->geometry;
  const uint8_t *slot_start = r->base + g->data_offset + (uint64_t)f->slot * g->slot_bytes;
  require(f->slot < g->slot_count);
  require(f->length <= g->slot_bytes);
  require(f->data == slot_start);
  require((uint64_t)(f->data - r->base) + f->length <= r->size);
  volatile uint8_t sum = 0;
  for (uint32_t i = 0; i < f->length; i++) sum += f->data[i];
  (void)sum;
  (void)cam_shm_frame_valid(r, f);
}

static int next_frame(cam_shm_reader *r) {
  cam_shm_frame f;
  int rc = cam_shm_reader_try_next(r, &f);
  require(rc == CAM_SHM_OK || rc == CAM_SHM_AGAIN || rc == CAM_SHM_TRUNCATED);
  if (rc == CAM_SHM_OK) check_frame(r, &f);
  return rc;
}

static void stream_info(cam_shm_reader *r) {
  cam_shm_stream_info s;
  int rc = cam_shm_read_stream_info(r, &s);
  require(rc == CAM_SHM_OK || rc == CAM_SHM_AGAIN || rc == CAM_SHM_TRUNCATED);
  if (rc != CAM_SHM_OK) return;
  require(s.sps_len <= CAM_SHM_PARAM_SET_BYTES && s.pps_len <= CAM_SHM_PARAM_SET_BYTES);
  require(memchr(s.codec, 0, sizeof s.codec) != NULL);
  uint64_t bytes = cam_shm_raw_frame_bytes(&s);
  /* A reader that found a frame of exactly `bytes` indexes rows by stride: they must fit. */
  if (bytes > 0) require(raw_extent(&s) <= bytes);
}

static uint32_t take(const uint8_t **p, const uint8_t *end, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes && *p < end; i++, (*p)++) v |= (uint32_t)**p << (8 * i);
  return v;
}

/* One file for the whole run, emptied before each input; removed at exit (fuzz.sh removes it
 * after a crash). */
static char fuzz_name[64], fuzz_path[96];
static int fd = -1;

static void remove_file(void) { unlink(fuzz_path); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  snprintf(fuzz_name, sizeof fuzz_name, "/cam-fuzz-%d", (int)getpid());
  cam_shm_path(fuzz_name, fuzz_path, sizeof fuzz_path);
  fd = open(fuzz_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    perror(fuzz_path);
    exit(1);
  }
  atexit(remove_file);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *p = data, *end = data + size;
  if (ftruncate(fd, 0) != 0 || ftruncate(fd, take(&p, end, 4) % FUZZ_MAX_FILE) != 0) return 0;
  cam_shm_reader r;
  int open_ = 0;
  char err[256];
  for (int ops = 0; p < end && ops < FUZZ_MAX_OPS; ops++) {
    int op = *p++ % 8;
    if (op == OP_WRITE) {
      uint32_t off = take(&p, end, 4) % FUZZ_MAX_FILE;
      uint32_t len = take(&p, end, 2) % (FUZZ_MAX_WRITE + 1);
      if (len > (size_t)(end - p)) len = (uint32_t)(end - p);
      if (pwrite(fd, p, len, off) < 0) break;
      p += len;
    } else if (op == OP_TRUNCATE) {
      if (ftruncate(fd, take(&p, end, 4) % (FUZZ_MAX_FILE + 1)) != 0) break;
    } else if (op == OP_OPEN) {
      if (open_) cam_shm_reader_close(&r);
      open_ = cam_shm_reader_open(&r, fuzz_name, err, sizeof err) == CAM_SHM_OK;
      if (open_) {
        const cam_shm_geometry *g = &r.geometry;
        require(g->slot_count > 0 && g->slot_bytes > 0 && r.size == g->total_bytes);
        require(g->data_offset >= CAM_SHM_HEADER_BYTES + (uint64_t)g->slot_count * 64u);
        require(g->data_offset + (uint64_t)g->slot_count * g->slot_bytes <= g->total_bytes);
      } else {
        require(memchr(err, 0, sizeof err) != NULL && err[0] != '\0');
      }
    } else if (!open_) {
      continue;
    } else if (op == OP_NEXT) {
      next_frame(&r);
    } else if (op == OP_SEEK) {
      cam_shm_reader_seek(&r, (cam_shm_start)(take(&p, end, 1) % 3));
    } else if (op == OP_INFO) {
      stream_info(&r);
    } else if (op == OP_STATUS) {
      (void)cam_shm_write_seq(&r);
      (void)cam_shm_writer_closed(&r);
      (void)cam_shm_heartbeat_age_ms(&r);
      (void)cam_shm_reader_replaced(&r);
      int rc = cam_shm_wait(&r, cam_shm_notify(&r), 0);
      require(rc == CAM_SHM_OK || rc == CAM_SHM_AGAIN || rc == CAM_SHM_TRUNCATED);
    } else { /* OP_DRAIN */
      for (int i = 0; i < 64; i++)
        if (next_frame(&r) != CAM_SHM_OK) break;
    }
  }
  if (open_) cam_shm_reader_close(&r);
  return 0;
}

#ifdef CAM_FUZZ_WRITE_SEEDS
/* ------------------------------------------------------------------ seed corpus writer ------ */
/* Each seed: a segment made by the real writer (cam_shm_writer.c), encoded as WRITE operations
 * of its non-zero bytes, then reader calls and the mutations a hostile writer would make. */

static uint8_t seed[1 << 16];
static size_t seed_len;

static void put(uint64_t v, int bytes) {
  for (int i = 0; i < bytes; i++) seed[seed_len++] = (uint8_t)(v >> (8 * i));
}

static void put_write(uint32_t offset, const void *bytes, uint32_t len) {
  put(OP_WRITE, 1);
  put(offset, 4);
  put(len, 2);
  memcpy(seed + seed_len, bytes, len);
  seed_len += len;
}

/* Starts a seed from the writer's segment: its size, then every run of non-zero bytes. */
static void put_segment(const cam_shm_writer *w) {
  seed_len = 0;
  put(w->size, 4);
  for (size_t i = 0; i < w->size;) {
    if (!w->base[i]) {
      i++;
      continue;
    }
    size_t j = i, zeros = 0; /* a run ends at 8 zero bytes in a row */
    for (; j < w->size && j - i < FUZZ_MAX_WRITE && zeros < 8; j++) zeros = w->base[j] ? 0 : zeros + 1;
    put_write((uint32_t)i, w->base + i, (uint32_t)(j - i - zeros));
    i = j;
  }
}

static void put_u32_at(uint32_t offset, uint32_t v) { put_write(offset, &v, 4); }
static void put_u64_at(uint32_t offset, uint64_t v) { put_write(offset, &v, 8); }

static void save(const char *dir, const char *file) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(seed, 1, seed_len, f) != seed_len || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
}

static void make_ring(cam_shm_writer *w, const char *name, uint32_t slots, uint32_t frames) {
  char err[256];
  if (cam_shm_writer_create(w, name, 16384, slots, 0600, -1, err, sizeof err) != CAM_SHM_OK) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  cam_shm_writer_set_stream_info(w, "avc1.42c01e", 320, 240, 30000);
  const uint8_t sps[] = {0x67, 0x42, 0xc0, 0x1e}, pps[] = {0x68, 0xce, 0x3c, 0x80};
  cam_shm_writer_set_parameter_sets(w, sps, sizeof sps, pps, sizeof pps, 1);
  uint8_t au[200];
  for (uint32_t i = 1; i <= frames; i++) {
    memset(au, (int)i, sizeof au);
    memcpy(au, "\0\0\0\1\x65", 5);
    cam_shm_writer_publish(w, au, 40 + 20 * (i % 7), 1000 + i, i % 3 == 1, NULL);
  }
}

static uint32_t slot_entry(uint32_t slot, size_t field) {
  return CAM_SHM_HEADER_BYTES + slot * CAM_SHM_SLOT_ENTRY_BYTES + (uint32_t)field;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  char name[64];
  snprintf(name, sizeof name, "/cam-fuzz-seed-%d", (int)getpid());
  cam_shm_writer w;

  /* A valid ring of 4 slots holding frames 3..6, read every way. */
  make_ring(&w, name, 4, 6);
  put_segment(&w);
  put(OP_OPEN, 1), put(OP_INFO, 1), put(OP_SEEK, 1), put(1, 1), put(OP_DRAIN, 1);
  put(OP_SEEK, 1), put(2, 1), put(OP_NEXT, 1), put(OP_STATUS, 1);
  save(dir, "valid-ring");

  /* The same, then the header's geometry, a slot's length and write_seq turn hostile. */
  put(OP_SEEK, 1), put(1, 1);
  put_u32_at(offsetof(cam_shm_header, slot_count), 0);
  put_u32_at(offsetof(cam_shm_header, slot_bytes), UINT32_MAX);
  put_u64_at(offsetof(cam_shm_header, data_offset), UINT64_MAX - 100);
  put_u32_at(slot_entry(1, offsetof(cam_shm_slot, length)), UINT32_MAX);
  put(OP_DRAIN, 1);
  put_u64_at(offsetof(cam_shm_header, write_seq), UINT64_MAX);
  put_u32_at(offsetof(cam_shm_header, sps_len), 5000);
  put(OP_SEEK, 1), put(2, 1), put(OP_DRAIN, 1), put(OP_INFO, 1), put(OP_OPEN, 1);
  save(dir, "hostile-after-open");

  /* A slot being written (odd lock) and a frame_seq that is not the slot's. */
  put_segment(&w);
  put(OP_OPEN, 1), put(OP_SEEK, 1), put(1, 1);
  put_u32_at(slot_entry(3, offsetof(cam_shm_slot, lock)), 1);
  put_u64_at(slot_entry(0, offsetof(cam_shm_slot, frame_seq)), 9);
  put(OP_DRAIN, 1), put(OP_STATUS, 1);
  save(dir, "torn-slots");

  /* The file shrinks after open, then grows back. */
  put_segment(&w);
  put(OP_OPEN, 1), put(OP_NEXT, 1), put(OP_TRUNCATE, 1), put(100, 4), put(OP_NEXT, 1);
  put(OP_INFO, 1), put(OP_STATUS, 1), put(OP_TRUNCATE, 1), put(w.size, 4), put(OP_DRAIN, 1);
  save(dir, "shrinks-after-open");

  /* Geometry that wraps past 2^64, zero slots, slots past the end: refused at open. */
  put_segment(&w);
  put_u32_at(offsetof(cam_shm_header, slot_count), 0x10000);
  put_u32_at(offsetof(cam_shm_header, slot_bytes), 0x10000);
  put_u64_at(offsetof(cam_shm_header, data_offset), UINT64_MAX - 0xFFFFFFFFull);
  put(OP_OPEN, 1);
  put_u32_at(offsetof(cam_shm_header, slot_count), 0);
  put(OP_OPEN, 1);
  save(dir, "bad-geometry");

  /* Too short for a header; then a header with a bad magic and version. */
  seed_len = 0;
  put(100, 4), put(OP_OPEN, 1), put(OP_TRUNCATE, 1), put(8192, 4);
  put_u32_at(0, CAM_SHM_MAGIC), put_u32_at(4, 2), put(OP_OPEN, 1);
  save(dir, "short-file");
  cam_shm_writer_close(&w);

  /* A raw RGB24 ring (a picture per slot), then its stride and size made hostile. */
  char err[256];
  uint32_t width = 16, height = 8, stride = 3 * 16 + 16;
  if (cam_shm_writer_create(&w, name, cam_shm_total_bytes_for(2, height * stride), 2, 0600, -1,
                            err, sizeof err) != CAM_SHM_OK) {
    fprintf(stderr, "%s\n", err);
    return 1;
  }
  cam_shm_writer_set_stream_info(&w, "rgb24", width, height, 15000);
  cam_shm_writer_set_pixel_format(&w, CAM_SHM_PIXFMT_RGB24, stride);
  uint8_t picture[8 * 64];
  for (size_t i = 0; i < sizeof picture; i++) picture[i] = (uint8_t)(i * 7 + 1);
  cam_shm_writer_publish(&w, picture, height * stride, 1, 1, NULL);
  put_segment(&w);
  put(OP_OPEN, 1), put(OP_SEEK, 1), put(1, 1), put(OP_NEXT, 1), put(OP_INFO, 1);
  put_u32_at(offsetof(cam_shm_header, pixel_format), CAM_SHM_PIXFMT_NV12);
  put(OP_INFO, 1);
  put_u32_at(offsetof(cam_shm_header, pixel_format), CAM_SHM_PIXFMT_RGB_PLANAR);
  put(OP_INFO, 1);
  put_u32_at(offsetof(cam_shm_header, height), 0xAAAAAAAB);
  put_u32_at(offsetof(cam_shm_header, stride), 0xC0000000);
  put(OP_INFO, 1);
  save(dir, "raw-ring");
  cam_shm_writer_close(&w);
  return 0;
}
#endif
