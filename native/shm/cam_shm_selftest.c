/*
 * cam_shm_selftest — the shm core (cam_shm.h + cam_shm_writer.c) run as a plain program, so it
 * can be checked on riscv64 under qemu-riscv64-static without Node (tools/check-riscv64.sh
 * compares these `check` lines with an x86-64 build). Needs /dev/shm. Exit status 1 on failure.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "../include/cam_shm.h"

static int failures = 0;

static void check(const char *what, long long got, long long want) {
  printf("check %s %lld%s\n", what, got, got == want ? "" : " (WRONG)");
  failures += got != want;
}

static uint8_t frame_buf[4096];

/* [u64 seq][body = f(seq, i)]: a torn read mixes two sequences and fails verify(). */
static uint32_t fill(uint64_t seq) {
  uint32_t len = 64u + (uint32_t)(seq * 2654435761u % 4000u);
  memcpy(frame_buf, &seq, 8);
  for (uint32_t i = 8; i < len; i++) frame_buf[i] = (uint8_t)(seq * 31u + i);
  return len;
}

static int verify(const uint8_t *d, uint32_t len, uint64_t seq) {
  uint64_t s;
  memcpy(&s, d, 8);
  if (s != seq) return 0;
  for (uint32_t i = 8; i < len; i++)
    if (d[i] != (uint8_t)(seq * 31u + i)) return 0;
  return 1;
}

struct torture {
  const char *name;
  long frames, accepted, torn, bad;
};

static void *torture_reader(void *arg) {
  struct torture *t = arg;
  cam_shm_reader r;
  static uint8_t copy[4096];
  if (cam_shm_reader_open(&r, t->name, NULL, 0) != CAM_SHM_OK) return NULL;
  while (!(cam_shm_writer_closed(&r) && cam_shm_write_seq(&r) < r.next_seq)) {
    uint32_t seen = cam_shm_notify(&r);
    cam_shm_frame f;
    if (cam_shm_reader_try_next(&r, &f) != CAM_SHM_OK) {
      cam_shm_wait(&r, seen, 50);
      continue;
    }
    memcpy(copy, f.data, f.length);
    if (!cam_shm_frame_valid(&r, &f)) {
      t->torn++;
      continue;
    }
    t->accepted++;
    t->bad += !verify(copy, f.length, f.seq);
  }
  cam_shm_reader_close(&r);
  return NULL;
}

/* A writable mapping of a segment's file, as a hostile writer of the same user has it. */
static cam_shm_header *map_rw(const char *name, size_t *size) {
  char path[CAM_SHM_NAME_MAX + 16];
  cam_shm_path(name, path, sizeof path);
  int fd = open(path, O_RDWR);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return NULL;
  *size = (size_t)st.st_size;
  void *p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  return p == MAP_FAILED ? NULL : (cam_shm_header *)p;
}

/* Readers copy the geometry once at open, bound everything by the copies, and detect a file
 * that shrank: a hostile or broken writer gets errors, never SIGFPE, SIGSEGV or SIGBUS. */
static void hostile_segments(const char *name) {
  char err[256], path[CAM_SHM_NAME_MAX + 16];
  cam_shm_writer w;
  cam_shm_reader r;
  cam_shm_frame f;
  size_t size = 0;
  uint64_t seq = 0;
  cam_shm_path(name, path, sizeof path);

  /* data_offset + slot_count * slot_bytes wraps past 2^64: refused at open. */
  cam_shm_writer_create(&w, name, 1u << 16, 8, 0600, -1, err, sizeof err);
  cam_shm_header *h = map_rw(name, &size);
  const cam_shm_header good = *h;
  h->slot_count = 0x10000;
  h->slot_bytes = 0x10000;
  h->data_offset = UINT64_MAX - 0xFFFFFFFFull;
  check("hostile_wrapping_geometry", cam_shm_reader_open(&r, name, err, sizeof err), CAM_SHM_TRUNCATED);
  h->data_offset = good.data_offset;
  h->slot_count = 0;
  check("hostile_zero_slots", cam_shm_reader_open(&r, name, err, sizeof err), CAM_SHM_TRUNCATED);
  h->slot_count = good.slot_count;
  h->slot_bytes = good.slot_bytes + 64;
  check("hostile_slots_past_end", cam_shm_reader_open(&r, name, err, sizeof err), CAM_SHM_TRUNCATED);
  h->slot_bytes = good.slot_bytes;

  /* After open: the header changes under the reader; only the copies count. */
  check("hostile_open", cam_shm_reader_open(&r, name, err, sizeof err), CAM_SHM_OK);
  for (int i = 0; i < 3; i++) cam_shm_writer_publish(&w, frame_buf, fill(seq + 1), 1, 0, &seq);
  h->slot_count = 0;
  h->slot_bytes = UINT32_MAX;
  h->data_offset = UINT64_MAX - 100;
  h->total_bytes = UINT64_MAX;
  check("hostile_geometry_ignored", cam_shm_reader_try_next(&r, &f) == CAM_SHM_OK && f.seq == 1 &&
                                        verify(f.data, f.length, 1), 1);
  /* A slot whose length is past the slot size is refused and counted as lost. */
  ((cam_shm_slot *)((uint8_t *)h + CAM_SHM_HEADER_BYTES))[2].length = UINT32_MAX;
  check("hostile_length_refused", cam_shm_reader_try_next(&r, &f) == CAM_SHM_OK ? (long long)f.seq : -1, 3);
  check("hostile_length_lost", (long long)f.lost, 1);
  /* A write_seq far ahead and a frame_seq that does not match its slot: no frame, no crash. */
  h->write_seq = UINT64_MAX;
  check("hostile_write_seq", cam_shm_reader_try_next(&r, &f), CAM_SHM_AGAIN);
  cam_shm_reader_seek(&r, CAM_SHM_START_KEYFRAME);
  check("hostile_seek", cam_shm_reader_try_next(&r, &f), CAM_SHM_AGAIN);
  cam_shm_stream_info info;
  h->sps_len = UINT32_MAX;
  check("hostile_sps_len", cam_shm_read_stream_info(&r, &info), CAM_SHM_AGAIN);
  h->sps_len = 0;

  /* The file shrinks under the reader: every call reports it, none touches the lost pages. */
  check("hostile_truncate", truncate(path, 0), 0);
  check("hostile_truncated_next", cam_shm_reader_try_next(&r, &f), CAM_SHM_TRUNCATED);
  cam_shm_reader_seek(&r, CAM_SHM_START_OLDEST);
  check("hostile_truncated_info", cam_shm_read_stream_info(&r, &info), CAM_SHM_TRUNCATED);
  check("hostile_truncated_closed", cam_shm_writer_closed(&r), 1);
  check("hostile_truncated_valid", cam_shm_frame_valid(&r, &f), 0);
  check("hostile_truncated_wait", cam_shm_wait(&r, cam_shm_notify(&r), 1), CAM_SHM_TRUNCATED);
  check("hostile_truncated_publish", cam_shm_writer_publish(&w, frame_buf, 64, 1, 0, NULL), CAM_SHM_TRUNCATED);
  munmap(h, size);
  cam_shm_reader_close(&r);
  cam_shm_writer_close(&w);

  /* A FIFO planted at the name (any local user can, /dev/shm is world-writable): refused by
   * the reader and the writer at once, never a blocked open(). alarm() fails a hang. */
  unlink(path);
  check("hostile_mkfifo", mkfifo(path, 0666), 0);
  alarm(10);
  check("hostile_fifo_reader", cam_shm_reader_open(&r, name, err, sizeof err), CAM_SHM_INVALID);
  check("hostile_fifo_writer", cam_shm_writer_create(&w, name, 1u << 16, 8, 0600, -1, err, sizeof err),
        CAM_SHM_INVALID);
  alarm(0);
  printf("info fifo refused: %s\n", err);
  unlink(path);
}

int main(void) {
  char name[64], err[256];
  snprintf(name, sizeof name, "/cam-selftest-%d", (int)getpid());
  check("sizeof_header", sizeof(cam_shm_header), CAM_SHM_HEADER_BYTES);
  check("sizeof_slot", sizeof(cam_shm_slot), 64);
  check("offsetof_write_seq", offsetof(cam_shm_header, write_seq), 72);
  check("offsetof_slot_publish_ns", offsetof(cam_shm_slot, publish_ns), 32);

  cam_shm_writer w;
  check("create", cam_shm_writer_create(&w, name, 1u << 16, 8, 0600, -1, err, sizeof err), CAM_SHM_OK);
  cam_shm_reader r;
  check("open", cam_shm_reader_open(&r, name, err, sizeof err), CAM_SHM_OK);
  check("slot_bytes", r.hdr->slot_bytes, 7680);

  cam_shm_frame f;
  uint64_t seq = 0;
  for (int i = 0; i < 3; i++) cam_shm_writer_publish(&w, frame_buf, fill(seq + 1), 1000 + seq, i == 0, &seq);
  for (uint64_t want = 1; want <= 3; want++) {
    check("read_seq", cam_shm_reader_try_next(&r, &f) == CAM_SHM_OK ? (long long)f.seq : -1, (long long)want);
    check("read_intact", verify(f.data, f.length, f.seq) && cam_shm_frame_valid(&r, &f), 1);
  }
  check("nothing_new", cam_shm_reader_try_next(&r, &f), CAM_SHM_AGAIN);
  check("wait_times_out", cam_shm_wait(&r, cam_shm_notify(&r), 20), CAM_SHM_AGAIN);

  for (int i = 0; i < 20; i++) cam_shm_writer_publish(&w, frame_buf, fill(seq + 1), 1, 0, &seq);
  check("lagged_seq", cam_shm_reader_try_next(&r, &f) == CAM_SHM_OK ? (long long)f.seq : -1, 17);
  check("lagged_lost", (long long)f.lost, 13);
  check("too_large", cam_shm_writer_publish(&w, frame_buf, 7681, 1, 0, NULL), CAM_SHM_TOO_LARGE);

  cam_shm_writer_set_stream_info(&w, "avc1.640028", 1920, 1080, 30000);
  const uint8_t sps[] = {0x67, 0x64, 0x00, 0x28}, pps[] = {0x68, 0xee};
  cam_shm_writer_set_parameter_sets(&w, sps, sizeof sps, pps, sizeof pps, 1);
  cam_shm_stream_info info;
  check("stream_info", cam_shm_read_stream_info(&r, &info), CAM_SHM_OK);
  check("stream_info_width", info.width, 1920);
  check("stream_info_codec", strcmp(info.codec, "avc1.640028"), 0);
  check("stream_info_sps", info.sps_len == sizeof sps && memcmp(info.sps, sps, sizeof sps) == 0, 1);
  /* A picture size past what a frame's 32-bit length can hold is no picture (0): computed in
   * 64 bits, 3 x height x stride of a hostile header wraps to a size a frame may claim. */
  cam_shm_stream_info raw = {.width = 16, .height = 0xAAAAAAABu, .stride = 0xC0000000u,
                             .pixel_format = CAM_SHM_PIXFMT_RGB_PLANAR};
  check("raw_bytes_no_wrap", (long long)cam_shm_raw_frame_bytes(&raw), 0);
  raw.pixel_format = CAM_SHM_PIXFMT_NV12;
  raw.height = 0xFFFFFFFEu;
  raw.stride = 0xFFFFFFFFu;
  check("raw_bytes_no_wrap_nv12", (long long)cam_shm_raw_frame_bytes(&raw), 0);
  raw = (cam_shm_stream_info){.width = 640, .height = 480, .stride = 640, .pixel_format = CAM_SHM_PIXFMT_NV12};
  check("raw_bytes_nv12", (long long)cam_shm_raw_frame_bytes(&raw), 640 * 480 * 3 / 2);
  cam_shm_writer_close(&w);
  check("closed_seen", cam_shm_writer_closed(&r), 1);
  cam_shm_reader_close(&r);
  check("unlinked", cam_shm_reader_open(&r, name, err, sizeof err), CAM_SHM_NOT_FOUND);

  /* A writer at full speed, a reader thread in parallel: no torn frame may validate. */
  struct torture t = {name, 50000, 0, 0, 0};
  check("torture_create", cam_shm_writer_create(&w, name, 1u << 16, 8, 0600, -1, err, sizeof err), CAM_SHM_OK);
  pthread_t reader;
  pthread_create(&reader, NULL, torture_reader, &t);
  struct timespec attach = {0, 50000000};
  nanosleep(&attach, NULL); /* let the reader attach */
  seq = 0;
  for (long i = 0; i < t.frames; i++) cam_shm_writer_publish(&w, frame_buf, fill(seq + 1), 1, 0, &seq);
  cam_shm_writer_close(&w);
  pthread_join(reader, NULL);
  check("torture_bad_accepted", t.bad, 0);
  check("torture_read_some", t.accepted > 0, 1);
  printf("info torture accepted=%ld torn=%ld\n", t.accepted, t.torn);
  hostile_segments(name);
  return failures ? 1 : 0;
}
